"""Audio features for analysis and export: MFCC, mel, chroma, spectral shape, onsets, RMS.

Importing this package is cheap (librosa is imported on first computation).
"""

from core.features.compute import FEATURES, UNITS, FeatureSet, compute_features, parse_features
from core.features.export import FORMATS, load_features_csv, save_features

__all__ = ["FEATURES", "FORMATS", "UNITS", "FeatureSet", "compute_features",
           "load_features_csv", "parse_features", "save_features"]
