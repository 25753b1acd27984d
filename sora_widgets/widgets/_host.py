"""Which notebook front end runs the widgets: Jupyter (the default) or marimo.

marimo runs anywidget widgets natively, but it renders only anywidget views (no ipywidgets boxes), and a
widget made on a background thread there has no cell to appear in (nor a session to talk through). The few
places that differ ask :func:`in_marimo`, on the thread of the cell that makes the widget.
"""

from __future__ import annotations

import sys

__all__ = ["in_marimo"]


def in_marimo() -> bool:
    """True when called from a cell of a running marimo notebook or app (marimo is imported and has a runtime
    context on this thread). Never imports marimo."""
    marimo = sys.modules.get("marimo")
    if marimo is None:
        return False
    try:
        return bool(marimo.running_in_notebook())
    except Exception:  # an older or partial marimo: treat as not marimo (the Jupyter paths still work there)
        return False
