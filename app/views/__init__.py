"""Views that draw a project on the shared time axis (spectrogram, spectrum, ...)."""
