"""Playback: a multitrack mix played through PortAudio, Qt-free.

See :class:`Player` (transport, mix, A/B, loop, speed, heard position),
:func:`output_devices`, and :class:`TimeStretcher` (the real-time,
pitch-preserving speed change the player uses).  ``sounddevice`` is imported
only when a player is created or devices are listed.
"""

from core.playback.devices import OutputDevice, output_devices, rescan
from core.playback.mixer import Mixer, PlaySource
from core.playback.player import STATES, Player
from core.playback.stretch import MAX_RATE, MIN_RATE, TimeStretcher, stretch

__all__ = ["MAX_RATE", "MIN_RATE", "STATES", "Mixer", "OutputDevice", "PlaySource", "Player",
           "TimeStretcher", "output_devices", "rescan", "stretch"]
