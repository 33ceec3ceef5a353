"""Audio tagging: instruments, genres and sound events over time (AST through transformers).

Importing this package is cheap: torch and transformers load on first use.
"""

from core.tagging.ast_tagger import DEFAULT_MODEL, load_tagger, tag, tagging_models
from core.tagging.types import TagResult, TagSegment

__all__ = ["DEFAULT_MODEL", "TagResult", "TagSegment", "load_tagger", "tag", "tagging_models"]
