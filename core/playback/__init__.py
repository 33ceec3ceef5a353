"""Playback: a multitrack mix played through PortAudio, Qt-free.

See :class:`Player` (transport, mix, A/B, loop, heard position) and
:func:`output_devices`.  ``sounddevice`` is imported only when a player is
created or devices are listed.
"""

from core.playback.devices import OutputDevice, output_devices, rescan
from core.playback.mixer import Mixer, PlaySource
from core.playback.player import STATES, Player

__all__ = ["STATES", "Mixer", "OutputDevice", "PlaySource", "Player", "output_devices", "rescan"]
