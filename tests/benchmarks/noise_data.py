"""Real recorded background noise for the denoise benchmark, from Debian packages.

No noise corpus ships in a Python package, but Debian's game-data packages carry
field recordings from freesound.org with their licences in the package's copyright
file.  Each noise below is fetched once with ``apt-get download`` (only the package
archive is needed; nothing is installed), the one file is pulled out of the archive,
mixed to mono, resampled to 16 kHz and cached as FLAC under
``$XDG_CACHE_HOME/resonote/bench-noise`` (``~/.cache`` by default).  The archives are
large (supertuxkart-data 0.6 GB, redeclipse-data 0.8 GB) and deleted after extraction.

If apt or the package is unavailable the noise raises :class:`NoiseUnavailable`
with the reason; the benchmark then leaves that noise out and says so.
"""

from __future__ import annotations

import functools
import io
import os
import shutil
import subprocess
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import numpy as np
import soundfile as sf


@dataclass(frozen=True)
class RecordedNoise:
    key: str            # short name used in tables
    description: str
    package: str        # Debian package (bookworm)
    member: str         # path inside the package
    inner: Optional[str]  # path inside a zip (.pk3) member, if any
    credit: str         # author, origin, licence (from the package's copyright file)


NOISES: dict[str, RecordedNoise] = {n.key: n for n in (
    RecordedNoise(
        "restaurant", "babble of a busy restaurant (Paris), 26 s",
        "supertuxkart-data", "usr/share/games/supertuxkart/data/sfx/lenautile_restaurant.ogg",
        None, '2015 "Alcappuccino", freesound.org/people/Alcappuccino/sounds/263528, CC0'),
    RecordedNoise(
        "traffic", "distant cars, 21 s",
        "redeclipse-data", "usr/share/games/redeclipse/data/sounds/ambience/distant_cars.ogg",
        None, "2006 fresco, 2007 WIM (freesound.org), CC-BY-3.0"),
    RecordedNoise(
        "machinery", "a running pump, 154 s",
        "ufoai-sound", "usr/share/games/ufoai/base/0snd.pk3", "sound/ambience/minepump03.ogg",
        "Gren, for the UFO:AI project, CC-BY-3.0"),
    RecordedNoise(
        "water", "a river, 16 s",
        "supertuxkart-data", "usr/share/games/supertuxkart/data/sfx/river_loop.ogg",
        None, "2012 Adam Newns, freesound.org/people/Adam_N/sounds/166310, CC0"),
)}


class NoiseUnavailable(RuntimeError):
    """The noise recording could not be fetched (no apt, no network, no package)."""


def cache_dir() -> Path:
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "resonote" / "bench-noise"


def _download(package: str, work: Path) -> Path:
    """``apt-get download`` the package archive into ``work``; its path."""
    if shutil.which("apt-get") is None or shutil.which("dpkg-deb") is None:
        raise NoiseUnavailable("apt-get/dpkg-deb not found (the noises come from Debian packages)")
    r = subprocess.run(["apt-get", "download", package], cwd=work, capture_output=True,
                       text=True)
    debs = sorted(work.glob(f"{package}_*.deb"))
    if r.returncode != 0 or not debs:
        raise NoiseUnavailable(f"apt-get download {package} failed: "
                               f"{(r.stderr or r.stdout).strip()[-300:]}")
    return debs[0]


def _fetch_package(package: str, sr: int) -> None:
    """Download ``package`` once and cache every noise of :data:`NOISES` taken from it."""
    import soxr

    wanted = [n for n in NOISES.values() if n.package == package]
    members = sorted({n.member for n in wanted})
    out_dir = cache_dir()
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=out_dir) as tmp:
        work = Path(tmp)
        deb = _download(package, work)
        tar = subprocess.Popen(["dpkg-deb", "--fsys-tarfile", str(deb)], stdout=subprocess.PIPE)
        ex = subprocess.run(["tar", "-x", "-C", str(work), *("./" + m for m in members)],
                            stdin=tar.stdout, capture_output=True, text=True)
        tar.stdout.close()
        tar.wait()
        for noise in wanted:
            path = work / noise.member
            if ex.returncode != 0 or not path.is_file():
                raise NoiseUnavailable(f"{noise.member} not found in {deb.name}: "
                                       f"{ex.stderr[-300:]}")
            if noise.inner is None:
                data = path.read_bytes()
            else:
                with zipfile.ZipFile(path) as z:
                    data = z.read(noise.inner)
            x, file_sr = sf.read(io.BytesIO(data), dtype="float64", always_2d=True)
            mono = x.mean(axis=1)
            if file_sr != sr:
                mono = soxr.resample(mono, file_sr, sr, quality="VHQ")
            tmp_out = work / f"{noise.key}.flac"
            sf.write(tmp_out, mono, sr, subtype="PCM_24")
            shutil.move(str(tmp_out), _cached(noise.key, sr))


def _cached(key: str, sr: int) -> Path:
    return cache_dir() / f"{key}_{sr}.flac"


@functools.cache
def load(key: str, sr: int = 16000) -> np.ndarray:
    """The recording ``key`` as mono float64 at ``sr`` Hz, shape (frames,), fetched once.

    The returned array is shared between calls: do not modify it."""
    out = _cached(key, sr)
    if not out.is_file():
        _fetch_package(NOISES[key].package, sr)
    x, file_sr = sf.read(out, dtype="float64")
    assert file_sr == sr
    return x


def segment(key: str, n: int, seed: int, sr: int = 16000) -> np.ndarray:
    """``n`` samples of recording ``key`` from a seeded random offset (looped if short)."""
    x = load(key, sr)
    if x.size < n:
        x = np.tile(x, n // x.size + 1)
    start = int(np.random.default_rng(seed).integers(0, x.size - n + 1))
    return x[start:start + n].copy()
