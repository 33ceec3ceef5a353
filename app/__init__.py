"""Resonote's Qt GUI.  Imports core; core never imports app."""
