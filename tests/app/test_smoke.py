"""The packaging smoke test, run in-process from source: window, demo clip, notes, screenshot."""

from __future__ import annotations

from PySide6.QtGui import QImage


def test_smoke_run_opens_transcribes_and_saves_a_screenshot(qtbot, tmp_path):
    from app.smoke import demo_clip, run

    out = tmp_path / "shot" / "smoke.png"
    lines: list[str] = []
    result = run(out, demo_clip(), timeout_s=240, log=lines.append)
    assert result["notes"] > 20  # a four-part chorale, not a stray blip
    image = QImage(str(out))
    assert not image.isNull()
    assert (image.width(), image.height()) == result["size"]
    assert result["startup_s"] > 0
    assert any("transcribed" in line for line in lines)


def test_smoke_main_reports_usage_and_missing_files(tmp_path, capsys):
    from app.smoke import main

    assert main([]) == 2
    assert "usage" in capsys.readouterr().err
    assert main([str(tmp_path / "x.png"), str(tmp_path / "missing.wav")]) == 1
    assert "no audio file" in capsys.readouterr().err
    assert not (tmp_path / "x.png").exists()
