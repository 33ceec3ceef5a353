"""The model list of a tool panel: each registry model with its install state and origin.

Used by panels that let the user pick a model (speech, lyrics alignment): each entry
shows "name — state[, size]", holds the model name as its data, the install state
under :data:`STATE_ROLE`, and the model's description, origin and licence as its
tooltip.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox

#: Item data role holding a model's install state ("bundled", "downloaded", ...).
STATE_ROLE = Qt.ItemDataRole.UserRole + 1


def fill_model_combo(combo: QComboBox, names: Iterable[str], *, chosen: str | None,
                     state_text: Callable[[str], str],
                     label: Callable[[str], str] = lambda name: name) -> None:
    """Fill ``combo`` with registry models ``names`` and select ``chosen`` (else the first).

    Signals are blocked while filling: the caller reacts to the final choice itself.
    """
    from core import models

    combo.blockSignals(True)
    try:
        combo.clear()
        for name in names:
            spec, st = models.get(name), models.status(name)
            size = f", {spec.size_bytes / 1e6:,.0f} MB" if not st.installed and spec.size_bytes \
                else ""
            combo.addItem(f"{label(name)} — {state_text(st.state)}{size}", name)
            i = combo.count() - 1
            combo.setItemData(i, st.state, STATE_ROLE)
            combo.setItemData(i, f"{spec.description}\nFrom {spec.origin or 'unknown'} · "
                                 f"licence {spec.licence}\n{st.detail}",
                              Qt.ItemDataRole.ToolTipRole)
        combo.setCurrentIndex(max(0, combo.findData(chosen)))
    finally:
        combo.blockSignals(False)


def chosen_state(combo: QComboBox, name: str) -> str:
    """Install state of the chosen model (from the list, else asked of the registry)."""
    state = combo.currentData(STATE_ROLE)
    if state:
        return state
    from core import models

    return models.status(name).state
