"""Fixed words and limits of the package, defined once and cheap to import (no Pillow, no SDK): the engine, the
jobs, the widgets and the magics' parser all read them here."""

from __future__ import annotations

__all__ = [
    "ENDED_WITHOUT_VIDEO", "FITS", "IN_FLIGHT", "MAX_PROMPT_CHARS", "MAX_REFERENCE_BYTES", "STATUSES", "TERMINAL",
]

STATUSES = (
    "pending", "queued", "in_progress", "completed", "failed", "cancelled", "expired", "deleted", "unknown",
)
#: Nothing more happens on the backend (a completed job may still be downloading its media).
TERMINAL = frozenset({"completed", "failed", "cancelled", "expired", "deleted", "unknown"})
#: Ended without a video, with an error saying why (``cancelled``: stopped by someone, not a failure; retryable).
ENDED_WITHOUT_VIDEO = frozenset({"failed", "cancelled", "expired", "unknown"})
#: Journaled and possibly running on the backend (``pending``: sent, or about to be).
IN_FLIGHT = frozenset({"pending", "queued", "in_progress"})

#: How a reference image is made to match the requested size.
FITS = ("cover", "contain", "error")
MAX_REFERENCE_BYTES = 20 * 1024 * 1024  # the API's upload limit
MAX_PROMPT_CHARS = 32_000
