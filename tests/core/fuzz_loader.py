"""Fuzz target: random and mutated bytes through core.audio.load/info.

Run as a script (``python fuzz_loader.py N_EXAMPLES SEED``) so that a crash of a
native decoder kills this process, not pytest; the test checks the exit code.
Any exception other than a ResonoteError is a bug and fails the run.
"""

from __future__ import annotations

import io
import sys
import tempfile
from pathlib import Path

import numpy as np
import soundfile as sf
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st

from core.audio import info, load
from core.errors import ResonoteError


def _seeds() -> list[bytes]:
    x = (0.3 * np.sin(np.arange(2000) / 5.0)).astype(np.float32)
    out = []
    for fmt, sub in [("WAV", "PCM_16"), ("WAV", "FLOAT"), ("FLAC", "PCM_16"),
                     ("OGG", "VORBIS"), ("AIFF", "PCM_24"), ("MP3", "MPEG_LAYER_III")]:
        buf = io.BytesIO()
        sf.write(buf, x, 16000, format=fmt, subtype=sub)
        out.append(buf.getvalue())
    return out


SEEDS = _seeds()
EXTS = [".wav", ".flac", ".ogg", ".mp3", ".m4a", ".aiff", ".bin"]


@st.composite
def corpus(draw):
    kind = draw(st.sampled_from(["random", "mutate", "truncate", "splice"]))
    if kind == "random":
        data = draw(st.binary(min_size=1, max_size=4096))
    else:
        base = bytearray(draw(st.sampled_from(SEEDS)))
        if kind == "truncate":
            data = bytes(base[: draw(st.integers(1, len(base)))])
        elif kind == "splice":
            a = draw(st.integers(0, len(base)))
            data = bytes(base[:a]) + draw(st.binary(max_size=512)) + bytes(base[a:])
        else:
            for _ in range(draw(st.integers(1, 16))):
                i = draw(st.integers(0, min(len(base) - 1, 256 if draw(st.booleans()) else len(base) - 1)))
                base[i] = draw(st.integers(0, 255))
            data = bytes(base)
    return data, draw(st.sampled_from(EXTS))


def main(n: int, rng_seed: int) -> int:
    tmp = Path(tempfile.mkdtemp(prefix="resonote-fuzz-"))
    counts = {"ok": 0, "error": 0}

    @seed(rng_seed)
    @settings(max_examples=n, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(corpus())
    def run(case):
        data, ext = case
        p = tmp / f"f{ext}"
        p.write_bytes(data)
        (tmp / "last").write_bytes(data + ext.encode())  # the input to blame after a crash
        for fn in (info, load):
            try:
                fn(p)
                counts["ok"] += 1
            except ResonoteError as exc:
                assert str(exc) and "\n" not in str(exc)
                counts["error"] += 1

    run()
    print(f"fuzz: {n} inputs, {counts['ok']} decoded, {counts['error']} clean errors")
    return 0


if __name__ == "__main__":
    sys.exit(main(int(sys.argv[1]), int(sys.argv[2])))
