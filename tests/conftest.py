"""Root test configuration: offscreen Qt and the real audio device.

* Qt runs offscreen (set before anything imports PySide6).
* ``pulse_sink`` (session) starts a PulseAudio daemon with a null sink that
  PortAudio sees as the device ``"pulse"`` (see tests/audio_device.py).
  Tests marked ``@pytest.mark.audio_device`` get it automatically.  Without
  PulseAudio the tests are skipped locally; under CI (``CI=true``) they fail,
  so CI never silently skips the device tests.
"""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402
from audio_device import PulseSink, PulseUnavailable, start_pulse, stop_pulse  # noqa: E402


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")


@pytest.fixture(scope="session")
def pulse_sink() -> PulseSink:
    try:
        sink = start_pulse()
    except PulseUnavailable as exc:
        msg = f"No real audio device for the tests: {exc}."
        if _in_ci():
            pytest.fail(msg + " CI must run the audio device tests.", pytrace=False)
        pytest.skip(msg)
    yield sink
    stop_pulse(sink)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if item.get_closest_marker("audio_device") and "pulse_sink" not in item.fixturenames:
            item.fixturenames.append("pulse_sink")
