"""Pieces of the transcript pane: the clickable transcript text, and the undoable layer swap.

:class:`TranscriptText` lays a :class:`core.speech.Transcript` out as one paragraph per
segment (a time stamp, then the words as links) and remembers where each segment and
word sits in the document, so highlighting what plays is a cheap extra selection,
never a re-layout.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtGui import (
    QColor,
    QPalette,
    QTextBlockFormat,
    QTextCharFormat,
    QTextCursor,
)
from PySide6.QtWidgets import QTextBrowser, QTextEdit, QWidget

from app.undo import ReplaceLayerCommand  # noqa: F401 (re-exported for the pane)
from core.project import Layer
from core.speech.types import Transcript

#: Layer kind of a speech transcript.
TRANSCRIPT_KIND = "transcript"
HIT_COLOUR = QColor("#f5c542")

Range = tuple[int, int]


def format_time(t: float) -> str:
    """``m:ss.s`` (or ``h:mm:ss.s`` from one hour) for the segment stamps."""
    t = max(0.0, float(t))
    h, rest = divmod(t, 3600)
    m, s = divmod(rest, 60)
    return f"{int(h)}:{int(m):02d}:{s:04.1f}" if h >= 1 else f"{int(m)}:{s:04.1f}"


def transcript_layers(track: Any) -> list[Layer]:
    """The transcript layers of ``track`` in the order they were added."""
    return [lr for lr in getattr(track, "layers", []) if lr.kind == TRANSCRIPT_KIND]


class TranscriptText(QTextBrowser):
    """The transcript as text: words and time stamps are links (``#w<seg>_<word>``,
    ``#s<seg>``); double-clicking a segment emits :attr:`segmentDoubleClicked`.

    Attributes
    ----------
    seg_ranges : list of (int, int)
        Document positions of each segment's paragraph.
    word_ranges : dict[(segment, word), (int, int)]
        Document positions of each word (without its leading space).
    """

    segmentDoubleClicked = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setOpenLinks(False)
        self.setOpenExternalLinks(False)
        self.seg_ranges: list[Range] = []
        self.word_ranges: dict[tuple[int, int], Range] = {}

    def mouseDoubleClickEvent(self, e) -> None:  # noqa: N802 (Qt API)
        si = self.segment_of_position(self.cursorForPosition(e.position().toPoint()).position())
        if si is not None:
            self.segmentDoubleClicked.emit(si)
            e.accept()
            return
        super().mouseDoubleClickEvent(e)

    # -- layout ------------------------------------------------------------------------
    def render(self, t: Transcript | None, offset_s: float) -> None:
        """Lay out ``t`` (stamps show project time: transcript time + ``offset_s``)."""
        self.clear()
        self.seg_ranges, self.word_ranges = [], {}
        if not t:
            self.setExtraSelections([])
            return
        base = self.font().pointSizeF()
        stamp = QTextCharFormat()
        stamp.setForeground(self.palette().color(QPalette.ColorRole.PlaceholderText))
        stamp.setFontPointSize(max(7.0, base * 0.85))
        doc = self.document()
        font = doc.defaultFont()
        font.setPointSizeF(base * 1.1)
        doc.setDefaultFont(font)
        block = QTextBlockFormat()
        block.setBottomMargin(7)
        block.setLineHeight(115, QTextBlockFormat.LineHeightTypes.ProportionalHeight.value)
        cur = QTextCursor(doc)
        cur.beginEditBlock()
        cur.setBlockFormat(block)
        for si, seg in enumerate(t.segments):
            if si:
                cur.insertBlock(block)
            block_start = cur.position()
            fmt = QTextCharFormat(stamp)
            fmt.setAnchor(True)
            fmt.setAnchorHref(f"#s{si}")
            fmt.setToolTip(f"{format_time(seg.start_s + offset_s)} – "
                           f"{format_time(seg.end_s + offset_s)}: click to play from here")
            cur.insertText(format_time(seg.start_s + offset_s), fmt)
            cur.insertText("   ", QTextCharFormat())
            if seg.words:
                for wi, w in enumerate(seg.words):
                    text = w.text if wi else w.text.lstrip()
                    lead = len(text) - len(text.lstrip())
                    if lead:
                        cur.insertText(text[:lead], QTextCharFormat())
                    wf = QTextCharFormat()
                    wf.setAnchor(True)
                    wf.setAnchorHref(f"#w{si}_{wi}")
                    if w.probability < 0.5:  # doubtful words: a dotted underline
                        wf.setUnderlineStyle(QTextCharFormat.UnderlineStyle.DotLine)
                        wf.setToolTip(f"Uncertain ({w.probability:.0%})")
                    p0 = cur.position()
                    cur.insertText(text[lead:], wf)
                    self.word_ranges[(si, wi)] = (p0, cur.position())
            else:
                wf = QTextCharFormat()
                wf.setAnchor(True)
                wf.setAnchorHref(f"#s{si}")
                cur.insertText(seg.text, wf)
            self.seg_ranges.append((block_start, cur.position()))
        cur.endEditBlock()

    # -- marks --------------------------------------------------------------------------
    def _selection(self, rng: Range, colour: QColor, fg: QColor | None = None,
                   ) -> QTextEdit.ExtraSelection:
        sel = QTextEdit.ExtraSelection()
        cur = QTextCursor(self.document())
        cur.setPosition(rng[0])
        cur.setPosition(rng[1], QTextCursor.MoveMode.KeepAnchor)
        sel.cursor = cur
        sel.format.setBackground(colour)
        if fg is not None:
            sel.format.setForeground(fg)
        return sel

    def mark(self, playing: tuple[int | None, int | None], hit: Range | None) -> None:
        """Highlight the playing (segment, word) and the current search match."""
        pal = self.palette()
        accent = pal.color(QPalette.ColorRole.Highlight)
        seg_bg = QColor(accent)
        seg_bg.setAlpha(55)
        sels = []
        si, wi = playing
        if si is not None and si < len(self.seg_ranges):
            sels.append(self._selection(self.seg_ranges[si], seg_bg))
            if wi is not None and (si, wi) in self.word_ranges:
                sels.append(self._selection(self.word_ranges[(si, wi)], accent,
                                            pal.color(QPalette.ColorRole.HighlightedText)))
        if hit is not None:
            sels.append(self._selection(hit, HIT_COLOUR, QColor("#000000")))
        self.setExtraSelections(sels)

    def hit_range(self, hit: tuple[int, int], n_words: int = 1) -> Range | None:
        """Document range of a search match of ``n_words`` words starting at ``hit``."""
        first = self.word_ranges.get(hit)
        if first is not None:  # a phrase: up to its last word within this segment
            last = next((self.word_ranges[(hit[0], hit[1] + k)]
                         for k in range(n_words - 1, 0, -1)
                         if (hit[0], hit[1] + k) in self.word_ranges), first)
            return first[0], last[1]
        return self.seg_ranges[hit[0]] if hit[0] < len(self.seg_ranges) else None

    def range_of(self, si: int, wi: int | None = None) -> Range:
        """Document range of word ``wi`` of segment ``si`` (the whole segment without words)."""
        return self.word_ranges.get((si, wi)) or self.seg_ranges[si]

    def segment_of_position(self, pos: int) -> int | None:
        for si, (p0, p1) in enumerate(self.seg_ranges):
            if p0 <= pos <= p1:
                return si
        return None

    def scroll_to(self, rng: Range) -> None:
        """Scroll so ``rng`` is in view (a third from the top) when it is not."""
        cur = QTextCursor(self.document())
        cur.setPosition(rng[0])
        rect = self.cursorRect(cur)
        view = self.viewport().rect()
        if not view.adjusted(0, 20, 0, -20).contains(rect.center()):
            bar = self.verticalScrollBar()
            bar.setValue(bar.value() + rect.center().y() - view.height() // 3)
