"""Packaging recipe checks that need no PyInstaller run: the spec parses, every bundled
model is collected, the desktop entry validates, the icon set and notices are complete."""

from __future__ import annotations

import ast
import configparser
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGING = ROOT / "packaging"


@pytest.fixture(scope="module")
def bundle_files():
    sys.path.insert(0, str(PACKAGING))
    try:
        import bundle_files as module

        yield module
    finally:
        sys.path.remove(str(PACKAGING))


def test_spec_is_valid_python_with_one_collect():
    tree = ast.parse((PACKAGING / "resonote.spec").read_text(), "resonote.spec")
    calls = [n.func.id for n in ast.walk(tree)
             if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)]
    for name in ("Analysis", "PYZ", "EXE", "COLLECT", "BUNDLE"):
        assert name in calls, name
    assert calls.count("COLLECT") == 1
    ast.parse((PACKAGING / "launcher.py").read_text())


def test_every_package_bundled_model_file_is_collected_at_its_site_packages_path(bundle_files):
    from core.models.catalog import builtin_models

    files = bundle_files.bundled_model_files()
    collected = {(Path(dest) / Path(src).name).as_posix() for src, dest in files}
    for spec in builtin_models():
        if spec.source != "bundled" or spec.package is None:
            continue
        for f in spec.files:
            assert f"{spec.package_dir.strip('/')}/{f.name}" in collected, (spec.name, f.name)
    assert all(Path(src).is_file() for src, _ in files)


def test_resource_models_and_demo_travel_with_resources():
    from core.models.catalog import builtin_models

    for spec in builtin_models():
        if spec.resource_dir:
            for f in spec.files:
                assert (ROOT / "resources" / spec.resource_dir / f.name).is_file()
    assert (ROOT / "resources" / "demo" / "demo.flac").is_file()


def test_data_only_packages_are_excluded_from_code_analysis(bundle_files):
    found = dict((Path(dest).name, src) for src, dest in bundle_files.data_only_package_files())
    assert "pyrnnoise" in found
    spec_text = (PACKAGING / "resonote.spec").read_text()
    assert "*DATA_ONLY_PACKAGES" in spec_text


def _desktop_entry() -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None, strict=True)
    parser.optionxform = str
    parser.read(PACKAGING / "resonote.desktop")
    return parser


def test_desktop_entry_is_valid():
    desktop = PACKAGING / "resonote.desktop"
    validator = shutil.which("desktop-file-validate")
    if validator:
        result = subprocess.run([validator, str(desktop)], capture_output=True, text=True)
        assert result.returncode == 0 and not result.stdout.strip(), result.stdout
    entry = _desktop_entry()["Desktop Entry"]
    assert entry["Type"] == "Application"
    assert entry["Exec"].split()[0] == "resonote"
    assert entry["Icon"] == "resonote"
    assert entry["Terminal"] == "false"
    assert entry["Categories"].endswith(";") and "Audio" in entry["Categories"].split(";")
    assert "audio/flac" in entry["MimeType"].split(";")


def test_icon_set_has_every_size_and_the_svg():
    import xml.etree.ElementTree as ET

    from PIL import Image

    icons = ROOT / "resources" / "icons"

    assert ET.parse(icons / "resonote.svg").getroot().tag.endswith("svg")
    for size in (16, 24, 32, 48, 64, 128, 256, 512):
        with Image.open(icons / f"resonote-{size}.png") as im:
            assert im.size == (size, size)
            assert im.mode == "RGBA"
            alpha = im.getchannel("A")
            assert alpha.getextrema() == (0, 255)  # transparent corners, opaque body
    with Image.open(icons / "resonote.ico") as ico:
        assert (256, 256) in ico.info["sizes"]


def test_notices_name_every_bundled_model_and_licence():
    from core.models.catalog import builtin_models

    notices = (PACKAGING / "NOTICES.md").read_text()
    for spec in builtin_models():
        if spec.source != "bundled":
            continue
        where = spec.package or f"resources/{spec.resource_dir}"
        assert where in notices, spec.name
        assert spec.licence.split(" (")[0] in notices, spec.name
    for needle in ("resources/demo/demo.flac", "TimGM6mb", "PySide6", "LGPL", "CC-BY-NC-4.0"):
        assert needle in notices
