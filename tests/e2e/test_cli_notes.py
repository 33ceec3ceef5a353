"""``resonote transcribe notes`` on real files, through the real loaders and writers."""

from __future__ import annotations

import argparse
import csv

import numpy as np
import pytest

from core.audio import save
from core.errors import ResonoteError
from core.notes import Note, render_notes

SCALE = [Note(0.25 + i * 0.5, 0.7 + i * 0.5, p, 0.8)
         for i, p in enumerate([60, 62, 64, 65, 67, 69, 71, 72] * 2)]


@pytest.fixture(scope="module")
def scale_wav(tmp_path_factory):
    path = tmp_path_factory.mktemp("notes") / "scale.flac"
    save(render_notes(SCALE, sr=48000), path)
    return path


def notes_parser() -> argparse.ArgumentParser:
    from core.cli import notes_cmd

    parser = argparse.ArgumentParser(prog="resonote transcribe")
    notes_cmd.register(parser.add_subparsers(dest="kind"))
    return parser


def run_notes(*argv) -> int:
    args = notes_parser().parse_args(["notes", *map(str, argv)])
    return args.func(args)


def test_writes_midi_and_prints_tempo_and_key(tmp_path, scale_wav, capsys):
    import pretty_midi

    out = tmp_path / "scale.mid"
    assert run_notes(scale_wav, "-o", out, "--chords") == 0
    printed = capsys.readouterr().out
    assert "notes" in printed and "Key: C major" in printed
    assert "Tempo: " in printed and "Chords: " in printed
    pm = pretty_midi.PrettyMIDI(str(out))
    pitches = [n.pitch for n in sorted(pm.instruments[0].notes, key=lambda n: n.start)]
    assert set(n.pitch for n in SCALE) <= set(pitches)


def test_writes_csv_with_settings(tmp_path, scale_wav):
    loose, strict = tmp_path / "loose.csv", tmp_path / "strict.csv"
    run_notes(scale_wav, "-o", loose, "--onset-threshold", "0.3", "--frame-threshold", "0.2")
    run_notes(scale_wav, "-o", strict, "--onset-threshold", "0.8", "--frame-threshold", "0.6",
              "--min-freq", "250", "--max-freq", "600", "--no-pitch-bends", "--no-melodia")
    rows_loose = list(csv.DictReader(loose.open()))
    rows_strict = list(csv.DictReader(strict.open()))
    assert len(rows_strict) < len(rows_loose)
    assert all(59 <= int(r["pitch_midi"]) <= 74 for r in rows_strict)
    assert all(r["pitch_bends_semitones"] == "" for r in rows_strict)


def test_writes_quantized_musicxml(tmp_path, scale_wav):
    import music21

    out = tmp_path / "scale.musicxml"
    run_notes(scale_wav, "-o", out, "--quantize", "--grid", "2")
    score = music21.converter.parse(str(out))
    assert {p.midi for n in score.recurse().notes for p in n.pitches} >= {60, 64, 67, 72}


@pytest.mark.parametrize("argv,match", [
    (["-o", "{tmp}/x.wav"], "mid"),
    (["-o", "{tmp}/x.mid", "--onset-threshold", "2"], "between 0 and 1"),
    (["-o", "{tmp}/nofolder/x.mid"], "does not exist"),
    (["-o", "{tmp}/x.mid", "--min-freq", "900", "--max-freq", "100"], "below the maximum"),
])
def test_one_line_errors(tmp_path, scale_wav, argv, match):
    argv = [a.format(tmp=tmp_path) for a in argv]
    with pytest.raises(ResonoteError, match=match) as err:
        run_notes(scale_wav, *argv)
    assert "\n" not in str(err.value)


def test_missing_input_and_existing_output(tmp_path, scale_wav):
    with pytest.raises(ResonoteError) as err:
        run_notes(tmp_path / "missing.wav", "-o", tmp_path / "x.mid")
    assert "\n" not in str(err.value)
    out = tmp_path / "x.csv"
    out.write_text("keep")
    with pytest.raises(ResonoteError, match="already exists"):
        run_notes(scale_wav, "-o", out)
    assert out.read_text() == "keep"
    assert run_notes(scale_wav, "-o", out, "--force") == 0


def test_through_resonote_main(tmp_path, scale_wav, capsys):
    from core.cli.main import main, subcommand_names

    if "transcribe" not in subcommand_names():
        pytest.skip("the transcribe command group is not wired into core.cli.main yet")
    out = tmp_path / "via_main.mid"
    assert main(["transcribe", "notes", str(scale_wav), "-o", str(out)]) == 0
    assert out.stat().st_size > 0
    assert main(["transcribe", "notes", str(scale_wav), "-o", str(tmp_path / "x.doc")]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("resonote: error:")


def test_silence_gives_no_notes(tmp_path, capsys):
    path = tmp_path / "silence.wav"
    save(__import__("core.audio", fromlist=["Audio"]).Audio(
        np.zeros((1, 44100), np.float32), 44100), path)
    out = tmp_path / "s.csv"
    assert run_notes(path, "-o", out) == 0
    assert list(csv.DictReader(out.open())) == []
    printed = capsys.readouterr().out
    assert "no steady beat" in printed and "Key: unclear" in printed
