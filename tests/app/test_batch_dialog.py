"""The batch dialog: a folder through one tool, run by the window's job runner."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "core"))
from batch_data import make_songs  # noqa: E402

from app.batch_dialog import BatchDialog, open_batch_dialog  # noqa: E402
from app.jobs.runner import JobStatus  # noqa: E402


@pytest.fixture
def songs(tmp_path):
    names = make_songs(tmp_path / "in", good=3)
    return tmp_path / "in", names


def _fill(dialog: BatchDialog, qtbot, src: Path, out: Path) -> None:
    for edit, text in ((dialog.in_edit, str(src)), (dialog.out_edit, str(out))):
        edit.clear()
        qtbot.keyClicks(edit, text)


def test_runs_a_folder_through_the_job_runner_and_shows_the_summary(window, qtbot, songs,
                                                                    tmp_path):
    src, names = songs
    dialog = open_batch_dialog(window, "restore loudness")
    qtbot.addWidget(dialog)
    assert dialog.isVisible() and dialog.tool == "restore loudness"
    _fill(dialog, qtbot, src, tmp_path / "out")
    assert dialog.count_label.text().startswith("4 audio files")
    dialog._fields["--target"].setValue(-20.0)
    messages = []
    window.runner.jobChanged.connect(lambda job: messages.append((job.message, job.fraction)))
    with qtbot.waitSignal(window.runner.jobDone, timeout=120_000) as done:
        qtbot.mouseClick(dialog.run_button, Qt.MouseButton.LeftButton)
        assert not dialog.run_button.isEnabled()
    job = done.args[0]
    assert job.status is JobStatus.FINISHED and job.name == "Batch Restore: loudness"
    # Per-file progress reached the jobs panel: "<file>: <status>" with a growing fraction.
    per_file = [(m, f) for m, f in messages if m.endswith((": ok", ": failed"))]
    assert per_file and per_file[-1][1] == pytest.approx(1.0)
    summary = dialog.summary
    assert summary.counts == {"ok": 3, "skipped": 0, "failed": 1}
    text = dialog.summary_view.toPlainText()
    assert "4 files: 3 ok, 0 skipped, 1 failed" in text and "broken.wav" in text
    assert "batch-report.csv" in text
    for rel in names["good"]:
        assert (tmp_path / "out" / rel).is_file()
    assert dialog.run_button.isEnabled()
    window.jobs_panel.show()
    dialog.grab().save("/tmp/batch_dialog.png")
    window.grab().save("/tmp/batch_dialog_window.png")


def test_options_become_the_command_lines_arguments(window, qtbot, tmp_path):
    dialog = BatchDialog(window, "separate")
    qtbot.addWidget(dialog)
    _fill(dialog, qtbot, tmp_path, tmp_path / "stems")
    dialog._fields["--stems"].setText("harmonic")
    dialog.jobs_spin.setValue(2)
    assert dialog.argv() == ["batch", "separate", str(tmp_path), "-o", str(tmp_path / "stems"),
                             "--model", "hpss", "--stems", "harmonic", "--jobs", "2"]
    assert not dialog.format_combo.isEnabled()
    dialog.tool_combo.setCurrentIndex(dialog.tool_combo.findData("transcribe speech"))
    assert [dialog.format_combo.itemText(i) for i in range(dialog.format_combo.count())] == [
        "txt", "srt", "vtt", "json"]
    dialog.format_combo.setCurrentText("srt")
    args = dialog.parse()
    assert (args.batch_tool, args.out_ext, args.beam_size, args.jobs) == (
        "transcribe speech", "srt", 5, 2)


def test_bad_options_are_explained_and_nothing_runs(window, qtbot, tmp_path):
    dialog = BatchDialog(window, "restore declick")
    qtbot.addWidget(dialog)
    qtbot.mouseClick(dialog.run_button, Qt.MouseButton.LeftButton)
    assert "Choose an input folder" in dialog.summary_view.toPlainText()
    _fill(dialog, qtbot, tmp_path, tmp_path / "out")
    qtbot.keyClicks(dialog.extra_edit, "--max-click-ms lots")
    qtbot.mouseClick(dialog.run_button, Qt.MouseButton.LeftButton)
    assert "--max-click-ms" in dialog.summary_view.toPlainText()
    assert dialog.job is None and not window.runner.running_jobs()


def test_cancelling_the_job_stops_the_batch_and_leaves_no_temp_files(window, qtbot, songs,
                                                                    tmp_path):
    src, _ = songs
    dialog = open_batch_dialog(window, "convert")
    qtbot.addWidget(dialog)
    _fill(dialog, qtbot, src, tmp_path / "out")
    with qtbot.waitSignal(window.runner.jobDone, timeout=120_000) as done:
        dialog.start()
        window.runner.cancel(dialog.job.id)
    assert done.args[0].status is JobStatus.CANCELLED
    assert "cancelled" in dialog.summary_view.toPlainText()
    assert dialog.run_button.isEnabled()
    assert not [p for p in (tmp_path / "out").rglob("*") if ".part" in p.name]


def test_batch_button_opens_the_dialog_on_the_panels_tool(window, qtbot):
    from app.batch_dialog import batch_button

    button = batch_button(window, lambda: "restore dehum")
    qtbot.addWidget(button)
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    dialogs = [d for d in window.findChildren(BatchDialog) if d.isVisible()]
    assert dialogs and dialogs[-1].tool == "restore dehum"
    assert "--freq" in dialogs[-1]._fields
