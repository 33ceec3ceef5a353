"""``resonote generate`` and ``resonote train-generator`` through the real CLI entry point."""

from __future__ import annotations

import importlib

import pretty_midi
import pytest
import soundfile as sf

from core.notes import Note
from core.notes.export import write_midi

cli_main = importlib.import_module("core.cli.main")  # core.cli re-exports main() itself


def resonote(*argv) -> int:
    return cli_main.main([str(a) for a in argv])


@pytest.fixture
def tune_mid(tmp_path):
    notes = [Note(i * 0.5, i * 0.5 + 0.5, p, 0.8)
             for i, p in enumerate([67, 69, 71, 72, 74, 72, 71, 69, 67, 66, 67, 67])]
    return write_midi(notes, tmp_path / "tune.mid", tempo_bpm=120)


def test_idea_to_midi(tmp_path, capsys):
    out = tmp_path / "idea.mid"
    assert resonote("generate", "idea", "--key", "D minor", "--metre", "3/4", "--bars", "4",
                    "--seed", "2", "-o", out) == 0
    pm = pretty_midi.PrettyMIDI(str(out))
    assert pm.instruments and pm.instruments[0].notes
    assert pm.time_signature_changes[0].numerator == 3
    assert "D minor" in capsys.readouterr().out


def test_drums_to_wav(tmp_path):
    out = tmp_path / "groove.wav"
    assert resonote("generate", "drums", "--style", "funk", "--tempo", "96", "--bars", "2",
                    "--sr", "22050", "-o", out) == 0
    data, sr = sf.read(out)
    assert sr == 22050 and data.shape[0] >= 2 * 4 * 60 / 96 * 22050 and abs(data).max() > 0.01


@pytest.mark.parametrize("mode", ["harmonize", "bassline", "continue"])
def test_modes_on_a_midi_file(mode, tune_mid, tmp_path):
    out = tmp_path / f"{mode}.mid"
    assert resonote("generate", mode, tune_mid, "-o", out) == 0
    pm = pretty_midi.PrettyMIDI(str(out))
    names = [i.name for i in pm.instruments]
    expected = {"harmonize": ["soprano", "alto", "tenor", "bass"], "bassline": ["bass"],
                "continue": ["prefix", "continuation"]}[mode]
    assert names == expected
    # the file's tempo (120 BPM) and key (G major) were followed
    assert pm.get_tempo_changes()[1][0] == pytest.approx(120)


@pytest.mark.parametrize("argv,words", [
    (["generate", "idea", "-o", "{tmp}/x.txt"], "use a .mid"),
    (["generate", "idea", "--key", "H major", "-o", "{tmp}/x.mid"], "not a key tonic"),
    (["generate", "harmonize", "{tmp}/missing.mid", "-o", "{tmp}/x.mid"], "does not exist"),
    (["generate", "idea", "--weights", "{tmp}", "-o", "{tmp}/x.mid"], "resonote train-generator"),
    (["generate", "musicgen", "a song", "--model", "musicgen-nope", "-o", "{tmp}/x.wav"],
     "no model called"),
    (["generate", "musicgen", "a song", "-o", "{tmp}/x.mid"], "makes audio"),
])
def test_errors_are_one_line(argv, words, tmp_path, capsys):
    assert resonote(*[a.format(tmp=tmp_path) for a in argv]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("resonote: error:") and words in err and "\n" not in err


def test_existing_output_needs_force(tmp_path, capsys):
    out = tmp_path / "d.mid"
    out.write_bytes(b"x")
    assert resonote("generate", "drums", "-o", out) == 1
    assert "--force" in capsys.readouterr().err
    assert resonote("generate", "drums", "-o", out, "--force") == 0


def test_train_generator_tiny_run(tmp_path, capsys):
    assert resonote("train-generator", "--tiny", "--steps", "3", "--limit", "2", "--out",
                    tmp_path) == 0
    assert (tmp_path / "model.safetensors").is_file()
    assert "held-out" in capsys.readouterr().out
    assert resonote("generate", "idea", "--bars", "1", "--weights", tmp_path, "-o",
                    tmp_path / "i.mid") == 0


def test_idea_follows_the_key_and_tempo_of_a_recording(tmp_path, capsys):
    from core.audio import save
    from core.notes import render_notes

    # An A minor arpeggio figure, one note per beat at 100 BPM.
    notes = [Note(i * 0.6, i * 0.6 + 0.55, p, 0.8)
             for i, p in enumerate([57, 60, 64, 69, 64, 60, 57, 52, 57, 60, 64, 69] * 2)]
    wav = tmp_path / "riff.wav"
    save(render_notes(notes, sr=22050), wav)
    out = tmp_path / "idea.mid"
    assert resonote("generate", "idea", "--match", wav, "--bars", "2", "-o", out) == 0
    printed = capsys.readouterr().out
    assert "A minor" in printed or "C major" in printed  # relative keys share the notes
    tempo = pretty_midi.PrettyMIDI(str(out)).get_tempo_changes()[1][0]
    assert 90 <= tempo <= 110 or 45 <= tempo <= 55 or 180 <= tempo <= 220


@pytest.mark.parametrize("alias,mode", [("melody", "idea"), ("bass", "bassline"),
                                        ("harmonise", "harmonize"), ("text", "musicgen")])
def test_the_issue_s_mode_names_are_aliases(alias, mode):
    argv = ["generate", alias] + ([] if alias == "melody" else ["x"]) + ["-o", "o.mid"]
    assert cli_main.build_parser().parse_args(argv).mode == mode
