"""``sw.resume()``: re-attach the jobs a dead process left (:func:`sora_widgets.api.resume`), then pick up the
storyboards it left running, so a kernel killed mid-storyboard finishes it with one call.

Kept apart from :mod:`api` because storyboards are built on the public facade (an import from api to them would
point the wrong way)."""

from __future__ import annotations

from . import api
from .job import VideoJob

__all__ = ["resume"]


def resume() -> list[VideoJob]:
    """Re-attach to in-flight jobs of the configured backend (polling again), finish creates whose outcome a
    dead process never saw, fetch completed-but-missing media, and restart the storyboards left running (their
    finished shots are reused: nothing is created twice). Returns the jobs re-attached."""
    from . import storyboards

    jobs = api.resume()
    storyboards.resume_unfinished()
    return jobs
