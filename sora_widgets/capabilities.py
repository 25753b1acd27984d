"""What one backend can do, learned from its answers and remembered in the journal (per backend key).

A profile says what cannot be discovered (model names, sizes, seconds, prices) and may pre-declare features;
everything else is learned the first time the backend shows it, and kept:

- ``list``: a 4xx from ``GET /videos`` means "cannot list" (LiteLLM answers 400), never a user error;
- ``variants``: the first thumbnail answer tells; an MP4 (or any non-image) means "no variants";
- ``delete`` / ``remix``: 404/405 or "not supported" answers mean the route is missing;
- ``progress``: a job that went from 0 straight to 100 (or sent none) means "no progress";
- ``echo``: which of our inputs (prompt, model, size, seconds) the video object echoes back; reconciling a lost
  create relies only on those;
- ``time_unit`` (``s``/``ms``) and ``progress_scale`` (``percent``/``fraction``) of the video objects;
- ``says_running``: whether the backend ever says ``in_progress``. SGLang's server says ``queued`` from the
  create until the end; once that is known (or declared, ``queued_until_done``), its ``queued`` reads as
  ``in_progress`` with a hidden queue, as Veo's ``processing`` behind LiteLLM does. Learned ``False`` only
  after :data:`QUEUED_ONLY_JOBS` jobs that were each seen queued at several polls over some seconds and then
  completed, with no ``in_progress`` ever seen here; one ``in_progress`` answer makes it ``True`` for good.

A feature the profile does not list is taken as declared absent (never tried). A learned fact beats the profile.
:meth:`Capabilities.read` turns a backend's video object into the canonical one (status word, seconds,
percent) before the poller or the engine sees it.
"""

from __future__ import annotations

import logging
import statistics
import time
from collections.abc import Callable
from typing import Any

from .capability_store import CapabilityStore
from .profiles import BackendProfile

__all__ = ["ECHO_FIELDS", "QUEUED_ONLY_JOBS", "Capabilities", "canonical_status"]

log = logging.getLogger(__name__)

ECHO_FIELDS = ("prompt", "model", "size", "seconds")
_MS_THRESHOLD = 1e11  # epoch seconds reach this in the year 5138; epoch milliseconds passed it in 1973
#: Jobs seen only ``queued`` until ``completed`` before a backend is taken to never say ``in_progress``. Each
#: must have answered ``queued`` at least :data:`_QUEUED_READS` times over :data:`_QUEUED_SPAN_S` or more: a
#: render shorter than the gap between two polls (a fast emulator, a busy queue) is not evidence.
QUEUED_ONLY_JOBS = 3
_QUEUED_READS = 3
_QUEUED_SPAN_S = 5.0
_WATCHED_MAX = 2000

#: Status words seen from backends that speak the protocol, mapped onto the spec's (+ expired/cancelled).
STATUS_WORDS = {
    "queued": "queued", "pending": "queued", "waiting": "queued", "submitted": "queued", "in_queue": "queued",
    "in_progress": "in_progress", "processing": "in_progress", "running": "in_progress",
    "generating": "in_progress", "started": "in_progress",
    "completed": "completed", "succeeded": "completed", "success": "completed", "done": "completed",
    "failed": "failed", "error": "failed",
    "cancelled": "cancelled", "canceled": "cancelled",
    "expired": "expired", "deleted": "deleted",
}


def canonical_status(raw: Any) -> str:
    """The backend's word as queued/in_progress/completed/failed/cancelled/expired/deleted (unknown words: in
    progress, so the poller keeps asking rather than stopping early)."""
    return STATUS_WORDS.get(str(raw or "").strip().lower(), "in_progress")


class Capabilities:
    """The features and habits of one backend: the profile's declarations, overridden by what was seen."""

    def __init__(self, store: CapabilityStore | None, backend_key: str, profile: BackendProfile,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._store = store
        self._clock = clock
        self.backend_key = backend_key
        self.profile = profile
        self.facts: dict[str, Any] = store.facts(backend_key) if store is not None else {}
        # video id -> [first queued read (monotonic), queued reads]: evidence for `says_running`
        self._queued_reads: dict[str, list[float]] = {}
        self._queued_only = 0

    def __repr__(self) -> str:
        return f"Capabilities({self.backend_key!r}, {self.facts!r})"

    # ------------------------------------------------------------------ features

    def known(self, feature: str) -> bool | None:
        value = self.facts.get(feature)
        return None if value is None else bool(value)

    def allows(self, feature: str) -> bool:
        """Worth trying: learned to work, or not learned and not declared absent by the profile."""
        known = self.known(feature)
        return known if known is not None else self.profile.supports(feature)

    def learn(self, name: str, value: Any, why: str = "") -> None:
        """Remember ``name = value`` for this backend (journaled; logged once when it changes)."""
        if self.facts.get(name) == value:
            return
        self.facts[name] = value
        if self._store is not None:
            self._store.set_fact(self.backend_key, name, value)
        log.info("backend %s: %s = %s%s", self.backend_key, name, value, f" ({why})" if why else "")

    def summary(self) -> dict[str, Any]:
        """Every fact known or declared, for ``sw.backend_info()`` and the docs."""
        out: dict[str, Any] = {f: self.allows(f) for f in ("list", "variants", "delete", "remix", "progress")}
        out["queued_means_running"] = self.queued_means_running()
        out["learned"] = dict(self.facts)
        return out

    # ------------------------------------------------------------------ video objects

    def echoes(self, field: str) -> bool:
        """Whether the backend's video objects carry our ``field`` back (False until seen)."""
        return field in (self.facts.get("echo") or ())

    def observe_create(self, video: dict[str, Any], sent: dict[str, str]) -> None:
        """From a create's answer: which of our inputs the backend echoes (the only ones reconciling may use)."""
        echoed = [f for f in ECHO_FIELDS if f in sent and video.get(f) is not None and
                  (str(video.get(f)) == sent[f] or (f == "model" and str(video.get(f)).startswith(sent[f])))]
        if sorted(echoed) != sorted(self.facts.get("echo") or ()):
            self.learn("echo", sorted(echoed), "fields the create's answer carried back")

    def read(self, video: dict[str, Any]) -> dict[str, Any]:
        """The canonical video object: status word, timestamps in seconds, progress in percent."""
        out = dict(video)
        out["raw_status"] = video.get("status")
        out["status"] = canonical_status(video.get("status"))
        for key in ("created_at", "completed_at", "expires_at"):
            value = out.get(key)
            if isinstance(value, (int, float)) and not isinstance(value, bool) and value > _MS_THRESHOLD:
                self.learn("time_unit", "ms", f"{key} {value} is in milliseconds")
                out[key] = value / 1000.0
        out["progress"] = self._progress(video.get("progress"), out["status"])
        self._watch_running(str(video.get("id") or ""), out)
        return out

    def queued_means_running(self) -> bool:
        """This backend's ``queued`` covers its renders too (it never says ``in_progress``)."""
        known = self.known("says_running")
        return not known if known is not None else self.profile.queued_until_done

    def _watch_running(self, video_id: str, out: dict[str, Any]) -> None:
        """Learn ``says_running`` from the status words of each video; read ``queued`` as running where the
        backend never says so."""
        status = out["status"]
        if status == "in_progress":
            self._queued_reads.clear()
            if self.facts.get("says_running") is not True:
                self.learn("says_running", True, f"{video_id} answered {out['raw_status']!r}")
            return
        if self.queued_means_running():
            if status == "queued":
                out["status"] = "in_progress"  # "queued or rendering": the queue is hidden, as with Veo's word
            return
        if self.known("says_running") is not None or not video_id:
            return
        if status == "queued":
            seen = self._queued_reads.setdefault(video_id, [self._clock(), 0.0])
            seen[1] += 1
            if len(self._queued_reads) > _WATCHED_MAX:
                self._queued_reads.pop(next(iter(self._queued_reads)))
        elif status == "completed" and video_id in self._queued_reads:
            first, reads = self._queued_reads.pop(video_id)
            if reads >= _QUEUED_READS and self._clock() - first >= _QUEUED_SPAN_S:
                self._queued_only += 1
                if self._queued_only >= QUEUED_ONLY_JOBS:
                    self.learn("says_running", False, f"{self._queued_only} jobs went from queued to completed")
        else:
            self._queued_reads.pop(video_id, None)

    def _progress(self, raw: Any, status: str) -> float | None:
        if raw is None or isinstance(raw, bool) or not isinstance(raw, (int, float)) or raw != raw:
            return None
        value = float(raw)
        scale = self.facts.get("progress_scale")
        if scale is None:
            if value > 1.0:
                self.learn("progress_scale", "percent", f"progress {value} > 1")
                scale = "percent"
            elif (0.0 < value < 1.0 and not value.is_integer()) or (status == "completed" and value == 1.0):
                self.learn("progress_scale", "fraction", f"progress {value} on a 0..1 scale")
                scale = "fraction"
        if scale == "fraction":
            value *= 100.0
        return max(0.0, min(100.0, value))

    def observe_finished(self, in_progress_values: list[float | None]) -> None:
        """A job completed: did it report progress along the way (anything strictly between 0 and 100)?"""
        if self.known("progress"):
            return
        moving = any(v is not None and 0.0 < v < 100.0 for v in in_progress_values)
        if moving:
            self.learn("progress", True, "a job reported rising progress")
        elif len(in_progress_values) >= 2:
            self.learn("progress", False, "a job went to completed without reporting progress")

    # ------------------------------------------------------------------ history

    def record_timing(self, model: str, size: str, seconds: str, queued_s: float | None, run_s: float) -> None:
        if self._store is not None and run_s > 0:
            self._store.add_timing(self.backend_key, model, size, seconds, queued_s, run_s)

    def predicted_run_s(self, model: str, size: str, seconds: str) -> float | None:
        """How long a job of this kind runs here (median of the latest ones), or None without history."""
        if self._store is None:
            return None
        runs = self._store.run_times(self.backend_key, model, size, seconds)
        return statistics.median(runs) if runs else None
