"""Track lanes: one row per track (header controls + waveform) on the shared time axis."""
