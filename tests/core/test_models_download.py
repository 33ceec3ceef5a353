"""The model downloader against a real HTTP server on 127.0.0.1 started by the test.

The server supports Range requests and can cut the connection mid-file, serve
corrupted bytes, answer 404, never answer, ignore Range, stall mid-body and
announce a SHA-256 in X-Linked-Etag on a redirect (like the Hugging Face hub).
"""

from __future__ import annotations

import hashlib
import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np
import pytest

from core import models
from core.errors import ChecksumError, DownloadError, ModelNotInstalledError
from core.jobs import CancelToken, JobCancelled
from core.models.cache import MANIFEST, model_dir, read_json, staging_dir
from core.models.fetch import sha256_from_headers

SIZE = 300_000


def _payload(seed: int, n: int = SIZE) -> bytes:
    return np.random.default_rng(seed).integers(0, 256, n, dtype=np.uint8).tobytes()


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class FileServer:
    """Serves ``files`` (path -> bytes) with switchable misbehaviour."""

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}
        self.requests: list[tuple[str, str | None]] = []  # (path, Range header)
        self.bytes_sent = 0
        self.cut_after: int | None = None  # one-shot: drop the connection after N body bytes
        self.corrupt = False
        self.hang = False  # never answer at all
        self.stall_after: int | None = None  # send N body bytes, then go silent
        self.ignore_range = False
        self.etag: dict[str, str] = {}  # path -> X-Linked-Etag sent on a redirect
        self.stalled = threading.Event()
        self.release = threading.Event()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def do_GET(self) -> None:
                path = self.path
                outer.requests.append((path, self.headers.get("Range")))
                if outer.hang:
                    outer.release.wait(10)
                    return
                if path.startswith("/redirect/"):
                    real = path[len("/redirect"):]
                    self.send_response(302)
                    self.send_header("Location", real)
                    if real in outer.etag:
                        self.send_header("X-Linked-Etag", f'"{outer.etag[real]}"')
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                data = outer.files.get(path)
                if data is None:
                    self.send_error(404)
                    return
                if outer.corrupt:
                    data = data[:1000] + bytes([data[1000] ^ 0xFF]) + data[1001:]
                start = 0
                rng = self.headers.get("Range")
                if rng and not outer.ignore_range:
                    start = int(rng.split("=")[1].split("-")[0])
                    self.send_response(206)
                    self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
                else:
                    self.send_response(200)
                body = data[start:]
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                limit, cut = len(body), False
                if outer.cut_after is not None:
                    limit, cut, outer.cut_after = min(limit, outer.cut_after), True, None
                stall = outer.stall_after is not None
                if stall:
                    limit = min(limit, outer.stall_after)
                sent = 0
                try:
                    while sent < limit:
                        piece = body[sent:min(limit, sent + 16384)]
                        self.wfile.write(piece)
                        sent += len(piece)
                        outer.bytes_sent += len(piece)
                    self.wfile.flush()
                    if stall:
                        outer.stalled.set()
                        outer.release.wait(10)
                    if cut:
                        self.connection.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.release.set()
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server():
    s = FileServer()
    yield s
    s.close()


@pytest.fixture(autouse=True)
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("RESONOTE_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache"


@pytest.fixture
def make_model():
    names = []

    def make(name: str, files: list[models.FileSpec], **kw) -> models.ModelSpec:
        spec = models.ModelSpec(name=name, task="test", description="test model",
                                source="download", licence="MIT", loader=kw.pop("loader", "onnx"),
                                files=tuple(files), **kw)
        models.register(spec, replace=True)
        names.append(name)
        return spec

    yield make
    for n in names:
        models.unregister(n)


def _one(server, make_model, name="tiny", *, sha=True, seed=1):
    data = _payload(seed)
    server.files[f"/{name}.onnx"] = data
    make_model(name, [models.FileSpec(f"{name}.onnx", sha256=_sha(data) if sha else None,
                                      size=SIZE)], base_url=server.url)
    return data


def test_full_download_verified_and_reported(server, make_model):
    data = _one(server, make_model)
    reports = []
    path = models.download("tiny", progress=reports.append, timeout_s=5)
    assert path == model_dir("tiny") / "tiny.onnx"
    assert path.read_bytes() == data
    manifest = read_json(model_dir("tiny") / MANIFEST)
    assert manifest["files"]["tiny.onnx"] == {"url": f"{server.url}/tiny.onnx", "size": SIZE,
                                              "sha256": _sha(data), "verified_by": "registry"}
    assert not staging_dir("tiny").exists()
    assert models.status("tiny").state == "downloaded"
    assert models.path("tiny") == path
    done = [p.done for p in reports]
    assert done == sorted(done) and reports[-1].done == reports[-1].total == SIZE
    # A second call is a no-op: nothing is fetched again.
    n = len(server.requests)
    assert models.ensure("tiny") == path and len(server.requests) == n


def test_dropped_connection_resumes_with_range(server, make_model):
    data = _one(server, make_model)
    server.cut_after = 100_000
    path = models.download("tiny", timeout_s=5)
    assert path.read_bytes() == data
    ranges = [r for _, r in server.requests if r]
    assert ranges and ranges[0].startswith("bytes=") and int(ranges[0][6:-1]) > 0
    assert server.bytes_sent < 2 * SIZE


def test_failed_download_leaves_part_and_resumes_next_time(server, make_model):
    data = _one(server, make_model)
    server.cut_after = 120_000
    with pytest.raises(DownloadError, match="dropped.*resumes"):
        models.download("tiny", timeout_s=5, retries=0)
    part = staging_dir("tiny") / "tiny.onnx.part"
    kept = part.stat().st_size
    assert kept == 120_000
    assert models.status("tiny").state == "partial"
    with pytest.raises(ModelNotInstalledError, match="not downloaded yet"):
        models.ensure("tiny", allow_download=False)
    assert models.ensure("tiny", timeout_s=5).read_bytes() == data
    assert server.requests[-1][1] == f"bytes={kept}-"
    assert server.bytes_sent < 2 * SIZE


def test_server_ignoring_range_restarts_cleanly(server, make_model):
    data = _one(server, make_model)
    server.cut_after, server.ignore_range = 50_000, True
    assert models.download("tiny", timeout_s=5).read_bytes() == data


@pytest.mark.parametrize("sha_known", [True, False], ids=["registry-sha", "etag-sha"])
def test_corrupted_file_rejected_and_deleted(server, make_model, sha_known):
    data = _payload(2)
    server.files["/w.bin"] = data
    server.etag["/w.bin"] = _sha(data)
    server.corrupt = True
    make_model("bad", [models.FileSpec("w.bin", sha256=_sha(data) if sha_known else None,
                                       url=f"{server.url}/redirect/w.bin")])
    with pytest.raises(ChecksumError, match="corrupt.*deleted"):
        models.download("bad", timeout_s=5)
    assert not model_dir("bad").exists()
    assert not any(p.is_file() for p in staging_dir("bad").rglob("*.part"))
    assert not (staging_dir("bad") / "w.bin").exists()
    assert models.status("bad").state == "not-installed"
    server.corrupt = False  # the server is fixed: the next try succeeds from scratch
    assert models.download("bad", timeout_s=5).read_bytes() == data


def test_size_mismatch_is_a_checksum_error(server, make_model):
    server.files["/s.bin"] = _payload(3)
    make_model("sized", [models.FileSpec("s.bin", size=SIZE + 1)], base_url=server.url)
    with pytest.raises(ChecksumError, match="size"):
        models.download("sized", timeout_s=5)


def test_etag_sha_verifies_and_is_recorded(server, make_model):
    data = _payload(4)
    server.files["/lfs.bin"] = data
    server.etag["/lfs.bin"] = _sha(data)
    server.files["/config.json"] = b'{"a": 1}'
    make_model("hub", [models.FileSpec("lfs.bin", url=f"{server.url}/redirect/lfs.bin"),
                       models.FileSpec("config.json", url=f"{server.url}/config.json")])
    folder = models.download("hub", timeout_s=5)
    files = read_json(folder / MANIFEST)["files"]
    assert files["lfs.bin"]["verified_by"] == "server-etag"
    assert files["lfs.bin"]["sha256"] == _sha(data)
    assert files["config.json"]["verified_by"] == "none"


def test_sha256_prefix_checked(server, make_model):
    data = _payload(5)
    server.files["/955717e8-x.th"] = data
    make_model("prefixed", [models.FileSpec("955717e8-x.th", sha256_prefix=_sha(data)[:8])],
               base_url=server.url, loader="demucs-pickle")
    assert models.download("prefixed", timeout_s=5).read_bytes() == data
    make_model("prefixed-bad", [models.FileSpec("955717e8-x.th", sha256_prefix="00000000")],
               base_url=server.url, loader="demucs-pickle")
    with pytest.raises(ChecksumError, match="prefix"):
        models.download("prefixed-bad", timeout_s=5)


def test_404_is_a_clear_error(server, make_model):
    make_model("gone", [models.FileSpec("missing.bin")], base_url=server.url)
    with pytest.raises(DownloadError, match=r"not on the server \(HTTP 404 from 127\.0\.0\.1\)"):
        models.download("gone", timeout_s=5)
    assert not model_dir("gone").exists()


def test_no_answer_times_out_clearly(server, make_model):
    _one(server, make_model)
    server.hang = True
    with pytest.raises(DownloadError, match=r"No answer from 127\.0\.0\.1 for 1 s"):
        models.download("tiny", timeout_s=1)


def test_connection_refused_is_a_clear_error(make_model):
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    make_model("nohost", [models.FileSpec("a.bin")], base_url=f"http://127.0.0.1:{port}")
    with pytest.raises(DownloadError, match="Cannot connect to 127.0.0.1"):
        models.download("nohost", timeout_s=2)


def test_cancel_mid_download_unblocks_read_and_leaves_resumable_part(server, make_model):
    """Cancelling while the server sends nothing must not wait for the 60 s timeout."""
    data = _one(server, make_model)
    server.stall_after = 40_000
    cancel = CancelToken()
    outcome = []

    def run():
        try:
            models.download("tiny", cancel=cancel, timeout_s=60)
        except BaseException as exc:  # noqa: BLE001 - handed to the test thread
            outcome.append(exc)

    t = threading.Thread(target=run, daemon=True)
    t.start()
    assert server.stalled.wait(10)
    part = staging_dir("tiny") / "tiny.onnx.part"
    for _ in range(200):  # wait until the client has written some of what was sent
        if part.exists() and part.stat().st_size > 0:
            break
        time.sleep(0.05)
    cancel.cancel()
    t.join(10)  # a hang guard, not a speed check: the read would block 60 s otherwise
    assert not t.is_alive()
    assert len(outcome) == 1 and isinstance(outcome[0], JobCancelled)
    kept = part.stat().st_size
    assert 0 < kept <= 40_000
    assert not model_dir("tiny").exists()
    # The .part is resumable: the next download asks only for the rest.
    server.stall_after = None
    assert models.download("tiny", timeout_s=5).read_bytes() == data
    assert server.requests[-1][1] == f"bytes={kept}-"
    assert server.bytes_sent == 40_000 + SIZE - kept


def test_multi_file_model_dir_appears_atomically(server, make_model):
    blobs = {f"f{i}.bin": _payload(10 + i, 50_000 + i) for i in range(3)}
    for n, b in blobs.items():
        server.files[f"/{n}"] = b
    make_model("multi", [models.FileSpec(n, sha256=_sha(b)) for n, b in blobs.items()]
               + [models.FileSpec("extra.json", optional=True)],
               base_url=server.url, loader="ctranslate2-dir")
    seen = []

    def progress(p):
        if not p.message.endswith("done"):  # the final report comes after the rename
            seen.append((model_dir("multi").exists(), models.status("multi").state))

    folder = models.download("multi", progress=progress, timeout_s=5)
    assert len(seen) >= 3
    assert folder == model_dir("multi")
    assert {p.name for p in folder.iterdir()} == set(blobs) | {MANIFEST}  # optional 404 skipped
    assert all(not exists for exists, _ in seen)
    assert {state for _, state in seen} <= {"not-installed", "partial"}
    for n, b in blobs.items():
        assert (folder / n).read_bytes() == b


def test_verified_files_are_not_fetched_again_after_failure(server, make_model):
    a, b = _payload(20), _payload(21)
    server.files.update({"/a.bin": a, "/b.bin": b})
    make_model("pair", [models.FileSpec("a.bin", sha256=_sha(a)),
                        models.FileSpec("b.bin", sha256=_sha(a))], base_url=server.url)
    with pytest.raises(ChecksumError):
        models.download("pair", timeout_s=5)
    assert (staging_dir("pair") / "a.bin").read_bytes() == a
    make_model("pair", [models.FileSpec("a.bin", sha256=_sha(a)),
                        models.FileSpec("b.bin", sha256=_sha(b))], base_url=server.url)
    before = len(server.requests)
    models.download("pair", timeout_s=5)
    assert [p for p, _ in server.requests[before:]] == ["/b.bin"]


def test_safetensors_index_pulls_its_shards(server, make_model):
    shards = {"model-00001-of-00002.safetensors": _payload(30, 1000),
              "model-00002-of-00002.safetensors": _payload(31, 1000)}
    index = {"metadata": {}, "weight_map": {"a": "model-00001-of-00002.safetensors",
                                            "b": "model-00002-of-00002.safetensors"}}
    server.files["/model.safetensors.index.json"] = json.dumps(index).encode()
    server.files["/config.json"] = b"{}"
    for n, b in shards.items():
        server.files[f"/{n}"] = b
    make_model("sharded", [models.FileSpec("config.json"),
                           models.FileSpec("model.safetensors", optional=True),
                           models.FileSpec("model.safetensors.index.json", optional=True)],
               base_url=server.url, loader="transformers-dir",
               extra={"requires_any": ("model.safetensors", "model.safetensors.index.json")})
    folder = models.download("sharded", timeout_s=5)
    for n, b in shards.items():
        assert (folder / n).read_bytes() == b
    assert not (folder / "model.safetensors").exists()


def test_missing_all_weight_alternatives_fails(server, make_model):
    server.files["/config.json"] = b"{}"
    make_model("noweights", [models.FileSpec("config.json"),
                             models.FileSpec("model.safetensors", optional=True)],
               base_url=server.url, loader="transformers-dir",
               extra={"requires_any": ("model.safetensors",)})
    with pytest.raises(DownloadError, match="none of the weight files"):
        models.download("noweights", timeout_s=5)


def test_base_url_overrides_spec_urls(server, make_model):
    data = _payload(40)
    server.files["/x.bin"] = data
    make_model("mirror", [models.FileSpec("x.bin", url="http://127.0.0.1:9/nowhere/x.bin")])
    assert models.download("mirror", base_url=server.url, timeout_s=5).read_bytes() == data


def test_damaged_download_is_reported_and_force_repairs(server, make_model):
    data = _one(server, make_model)
    path = models.download("tiny", timeout_s=5)
    path.write_bytes(data[:10])
    assert models.status("tiny").state == "damaged"
    with pytest.raises(ModelNotInstalledError, match="damaged"):
        models.path("tiny")
    assert models.ensure("tiny", timeout_s=5).read_bytes() == data
    assert models.remove("tiny") and models.status("tiny").state == "not-installed"


@pytest.mark.parametrize("headers, expected", [
    ({"X-Linked-Etag": '"' + "ab" * 32 + '"'}, "ab" * 32),
    ({"ETag": 'W/"' + "CD" * 32 + '"'}, "cd" * 32),
    ({"ETag": '"5d41402abc4b2a76b9719d911017c592"'}, None),  # an MD5 ETag (S3/CDN)
    ({"X-Linked-Etag": '"nothex"', "ETag": '"' + "01" * 32 + '"'}, "01" * 32),
    ({}, None),
])
def test_sha256_from_headers(headers, expected):
    from email.message import Message

    msg = Message()
    for k, v in headers.items():
        msg[k] = v
    assert sha256_from_headers(msg) == expected
