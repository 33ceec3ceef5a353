"""Render the listening examples in resources/generator/examples/ with the shipped weights.

Run: ``.venv/bin/python resources/generator/make_examples.py`` (about a minute on a CPU).
Every example is made with a fixed seed, so re-running reproduces the same notes.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent / "examples"


def mix(*gens):
    """One Generation holding the parts of several (same tempo and metre)."""
    from core.generate import Generation

    parts, programs, drums = {}, {}, set()
    for g in gens:
        for name, notes in g.parts.items():
            parts[name] = notes
            programs[name] = g.program(name)
        drums |= g.drum_parts
    g0 = gens[0]
    return Generation(parts, g0.tempo_bpm, g0.key, g0.metre, g0.bars, g0.seed, programs, drums)


def main() -> None:
    from core.audio import Audio, save
    from core.generate import add_bassline, generate_drums, generate_idea, harmonize

    HERE.mkdir(exist_ok=True)
    tune = generate_idea(style="folk", key="D major", metre="4/4", tempo_bpm=112, bars=8, seed=7)
    choir = harmonize(tune.parts["melody"], key="D major", metre="4/4", tempo_bpm=112, seed=7)
    band = mix(tune, add_bassline(tune.parts["melody"], key="D major", tempo_bpm=112, seed=7),
               generate_drums(style="folk", tempo_bpm=112, bars=8, seed=7))
    chorale = generate_idea(style="chorale", key="G minor", metre="4/4", tempo_bpm=76, bars=8,
                            seed=3)
    for name, g in (("folk-tune-d-major", tune), ("folk-tune-harmonised", choir),
                    ("folk-tune-bass-drums", band), ("chorale-g-minor", chorale)):
        a = g.render(sr=22050, tail_s=1.5)
        mono = Audio(a.samples.mean(axis=0, keepdims=True).astype(np.float32), a.sr)
        save(mono, HERE / f"{name}.ogg", overwrite=True)
        g.write_midi(HERE / f"{name}.mid")
        print(name, f"{mono.duration_s:.1f} s")


if __name__ == "__main__":
    main()
