"""Make the bundled demo clip ``resources/demo/demo.flac`` (run once; the result is committed).

J. S. Bach's chorale *Christ unser Herr zum Jordan kam* (BWV 66.6), read from the
score corpus inside the music21 wheel, played by a small additive synthesiser
written here (no SoundFont, so no sample licence comes with the audio): flute-like
soprano, soft reed alto and tenor, warm bass, a gentle room reverb.  The
composition is in the public domain and the rendering is Resonote's own, released
under CC0-1.0 (see resources/demo/README.md)::

    .venv/bin/python packaging/make_demo.py
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

OUT = Path(__file__).resolve().parents[1] / "resources" / "demo" / "demo.flac"
SR = 32000
SEC_PER_QUARTER = 0.5
MAX_S = 19.5

#: Per voice (soprano, alto, tenor, bass): harmonic amplitudes, level, attack s, pan -1..1.
VOICES = (
    ((1.0, 0.30, 0.10, 0.05), 0.28, 0.05, 0.10),
    ((1.0, 0.50, 0.33, 0.20, 0.12), 0.16, 0.04, -0.35),
    ((1.0, 0.55, 0.35, 0.22, 0.12, 0.08), 0.16, 0.04, 0.35),
    ((1.0, 0.40, 0.18, 0.08), 0.26, 0.03, 0.0),
)


def _tone(freq: float, dur: float, harmonics, attack: float) -> np.ndarray:
    n = int(dur * SR)
    t = np.arange(n) / SR
    vib = 1.0 + 0.003 * np.sin(2 * np.pi * 5.0 * t) * np.minimum(t / 0.4, 1.0)
    phase = 2 * np.pi * freq * np.cumsum(vib) / SR
    x = sum(a * np.sin(k * phase) for k, a in enumerate(harmonics, start=1)
            if k * freq < SR / 2.2)
    env = np.minimum(t / attack, 1.0) * np.exp(-t * 0.6)
    release = min(int(0.08 * SR), n)
    env[n - release:] *= np.linspace(1.0, 0.0, release)
    return (x * env).astype(np.float32)


def _reverb(x: np.ndarray) -> np.ndarray:
    """Small Schroeder room: four combs in parallel, two all-passes in series."""
    from scipy.signal import lfilter

    wet = np.zeros_like(x)
    for delay_ms, g in ((29.7, 0.77), (37.1, 0.75), (41.1, 0.73), (43.7, 0.71)):
        d = int(SR * delay_ms / 1000)
        a = np.zeros(d + 1)
        a[0], a[d] = 1.0, -g
        wet += lfilter([1.0], a, x)
    for delay_ms, g in ((5.0, 0.7), (1.7, 0.7)):
        d = int(SR * delay_ms / 1000)
        b = np.zeros(d + 1)
        a = np.zeros(d + 1)
        b[0], b[d] = -g, 1.0
        a[0], a[d] = 1.0, -g
        wet = lfilter(b, a, wet)
    return 0.82 * x + 0.18 * wet / 4


def render() -> np.ndarray:
    """The chorale as float32 stereo, shape (2, frames), at :data:`SR`."""
    from music21 import corpus

    score = corpus.parse("bach/bwv66.6")
    total = int((float(score.highestTime) * SEC_PER_QUARTER + 2.0) * SR)
    mix = np.zeros((2, total), np.float32)
    for part, (harm, level, attack, pan) in zip(score.parts, VOICES, strict=True):
        for n in part.recurse().notes:
            t0 = float(n.getOffsetInHierarchy(score)) * SEC_PER_QUARTER
            dur = float(n.quarterLength) * SEC_PER_QUARTER
            for p in n.pitches:
                tone = level * _tone(float(p.frequency), dur * 0.97 + 0.05, harm, attack)
                i = int(t0 * SR)
                j = min(i + tone.size, total)
                mix[0, i:j] += tone[: j - i] * np.sqrt((1 - pan) / 2)
                mix[1, i:j] += tone[: j - i] * np.sqrt((1 + pan) / 2)
    mix = np.stack([_reverb(ch) for ch in mix])
    mix = mix[:, : int(MAX_S * SR)]
    fade = int(1.5 * SR)
    mix[:, -fade:] *= np.linspace(1.0, 0.0, fade) ** 2
    return (mix / np.max(np.abs(mix)) * 0.7).astype(np.float32)


def main() -> int:
    import soundfile as sf

    OUT.parent.mkdir(parents=True, exist_ok=True)
    sf.write(OUT, render().T, SR, subtype="PCM_16", format="FLAC")
    info = sf.info(OUT)
    print(f"{OUT}: {info.duration:.1f} s, {OUT.stat().st_size / 1e6:.2f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
