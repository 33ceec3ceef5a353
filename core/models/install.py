"""Download a whole model into the cache: every file verified, then one atomic rename.

Files are fetched into ``models/.staging/<name>/``.  Each finished file is
checked (the registry's SHA-256, else its published prefix, else the SHA-256
the server announced) before it replaces its ``.part`` file, and is recorded
in ``staging.json`` so an interrupted multi-file download does not fetch it
again.  When every file is there, ``manifest.json`` is written and the staging
folder is renamed to ``models/<name>/`` in one step, so a model folder is
either complete or absent.

On a checksum failure the bad file (and its ``.part``) is deleted — resuming a
corrupt file would only reproduce it — while files already verified stay in
staging for the next attempt.  A cancelled or dropped download keeps its
``.part`` file and resumes with an HTTP ``Range`` request.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path
from typing import Optional

from core.errors import ChecksumError, DownloadError
from core.jobs import CancelToken, Progress, ProgressCallback, ThrottledProgress, check
from core.models.cache import (
    MANIFEST,
    STAGING_MANIFEST,
    model_dir,
    read_json,
    staging_dir,
    write_json_atomic,
)
from core.models.fetch import NotFoundError, fetch
from core.models.spec import FileSpec, ModelSpec


def _mb(n: float) -> str:
    return f"{n / 1e6:.1f} MB"


def _verify(spec: ModelSpec, f: FileSpec, sha: str, size: int,
            server_sha: Optional[str]) -> tuple[bool, str]:
    """Check one downloaded file: (True, how it was verified) or (False, what differs)."""
    if f.size is not None and size != f.size:
        return False, f"size {size} bytes instead of {f.size}"
    if f.sha256 is not None:
        return (sha == f.sha256, "registry")
    if f.sha256_prefix is not None:
        if not sha.startswith(f.sha256_prefix):
            return False, "published checksum prefix"
        return True, "registry-prefix"
    if server_sha is not None:
        return (sha == server_sha, "server-etag")
    return True, "none"


def _shards(index_path: Path) -> list[str]:
    """Shard file names listed by a ``*.safetensors.index.json``."""
    try:
        data = json.loads(index_path.read_text(encoding="utf-8"))
        return sorted({str(v) for v in data["weight_map"].values()})
    except (OSError, ValueError, KeyError, AttributeError) as exc:
        raise DownloadError(f"The weight index {index_path.name} is unreadable.") from exc


def download_model(spec: ModelSpec, *, base_url: Optional[str] = None,
                   progress: Optional[ProgressCallback] = None,
                   cancel: Optional[CancelToken] = None, timeout_s: float = 30.0,
                   retries: int = 3, force: bool = False) -> Path:
    """Fetch every file of download model ``spec`` into the cache.

    Parameters
    ----------
    spec : ModelSpec
        A ``source="download"`` spec.
    base_url : str, optional
        Replaces the spec's URLs: file ``f`` comes from ``base_url/f.name``.
    progress : callable, optional
        Receives ``Progress("download", bytes_done, bytes_total, message)``,
        throttled to 20 Hz (first and final reports always pass).
    cancel : CancelToken, optional
        Checked per 64 KiB; raises :class:`~core.jobs.JobCancelled` within ~0.1 s,
        leaving a resumable ``.part`` file.
    timeout_s : float
        Seconds without an answer from the server before failing.
    retries : int
        Dropped connections resumed automatically per file.
    force : bool
        Download again even when the model is already in the cache.

    Returns
    -------
    Path
        The model's folder in the cache (``models/<name>``).
    """
    final = model_dir(spec.name)
    if not force and read_json(final / MANIFEST) is not None:
        return final
    report = ThrottledProgress(progress) if progress is not None else None
    stage = staging_dir(spec.name)
    stage.mkdir(parents=True, exist_ok=True)
    state = read_json(stage / STAGING_MANIFEST) or {}
    done_files: dict = state.get("files", {}) if isinstance(state.get("files"), dict) else {}
    skipped: list[str] = list(state.get("skipped", []))

    files = list(spec.files)
    total = max(spec.size_bytes, 1)
    finished_bytes = 0

    def emit(done: float, message: str) -> None:
        if report is not None:
            report(Progress("download", min(done, total), total, message))

    emit(0, f"{spec.name}: starting")
    i = 0
    while i < len(files):
        f = files[i]
        i += 1
        url = spec.url_for(f, base_url)
        dest = stage / f.name
        part = dest.with_name(dest.name + ".part")
        rec = done_files.get(f.name)
        if (isinstance(rec, dict) and rec.get("url") == url and dest.is_file()
                and dest.stat().st_size == rec.get("size")):
            finished_bytes += rec["size"]
        elif f.name in skipped and not dest.exists():
            continue
        else:
            check(cancel)
            dest.unlink(missing_ok=True)
            label = f"{f.name} of model '{spec.name}'"

            def on_bytes(done: int, file_total: Optional[int], _f=f,
                         _base=finished_bytes) -> None:
                nonlocal total
                if file_total and not spec.size_exact and _base + file_total > total:
                    total = _base + file_total
                emit(_base + done, f"{spec.name}: {_f.name} "
                     f"{_mb(done)}" + (f" of {_mb(file_total)}" if file_total else ""))

            try:
                res = fetch(url, part, timeout_s=timeout_s, retries=retries, cancel=cancel,
                            on_bytes=on_bytes, label=label)
            except NotFoundError:
                if not f.optional:
                    raise
                skipped.append(f.name)
                write_json_atomic(stage / STAGING_MANIFEST, {"files": done_files,
                                                             "skipped": skipped})
                continue
            ok, how = _verify(spec, f, res.sha256, res.size, res.server_sha256)
            if not ok:
                part.unlink(missing_ok=True)
                raise ChecksumError(
                    f"The downloaded {label} is corrupt ({how} does not match) and was "
                    "deleted. Try the download again; if it keeps failing, the file on the "
                    "server has changed.")
            os.replace(part, dest)
            rec = {"url": url, "size": res.size, "sha256": res.sha256, "verified_by": how}
            done_files[f.name] = rec
            write_json_atomic(stage / STAGING_MANIFEST, {"files": done_files,
                                                         "skipped": skipped})
            finished_bytes += res.size
        if f.name.endswith(".safetensors.index.json"):
            known = {g.name for g in files}
            files += [FileSpec(s) for s in _shards(dest) if s not in known]

    required_any = spec.extra.get("requires_any")
    if required_any and not any(n in done_files for n in required_any):
        raise DownloadError(f"The server has none of the weight files of model '{spec.name}' "
                            f"({', '.join(required_any)}).")
    check(cancel)
    write_json_atomic(stage / MANIFEST, {
        "name": spec.name, "origin": spec.origin, "licence": spec.licence,
        "loader": spec.loader, "downloaded_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "files": done_files,
    })
    (stage / STAGING_MANIFEST).unlink(missing_ok=True)
    _move_into_place(stage, final)
    emit(total, f"{spec.name}: done")
    return final


def _move_into_place(stage: Path, final: Path) -> None:
    """Rename the finished staging folder to ``final`` atomically."""
    final.parent.mkdir(parents=True, exist_ok=True)
    old = None
    if final.exists():
        old = final.with_name(f".old-{final.name}-{os.getpid()}")
        shutil.rmtree(old, ignore_errors=True)
        os.replace(final, old)
    os.replace(stage, final)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def remove_model(name: str) -> bool:
    """Delete downloaded model ``name`` and any unfinished download; True if anything went."""
    removed = False
    for path in (model_dir(name), staging_dir(name)):
        if path.exists():
            shutil.rmtree(path)
            removed = True
    return removed
