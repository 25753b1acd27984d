"""Coalescing trait updates: many job changes a second become at most ~10 flushes."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

__all__ = ["Throttle"]


class Throttle:
    """Coalesce calls to ``fn``: at most one run per ``interval_s``, the last change always lands.

    ``poke()`` runs ``fn`` now if the last run is older than ``interval_s``, else schedules one run at the end
    of the interval (later pokes join it). ``poke(urgent=True)`` runs now (terminal states must not wait).
    ``fn`` runs on the poking thread or a timer thread, never on two threads at once.
    """

    def __init__(self, fn: Callable[[], None], interval_s: float = 0.1) -> None:
        self._fn = fn
        self._interval_s = interval_s
        self._lock = threading.Lock()
        self._run_lock = threading.Lock()
        self._timer: threading.Timer | None = None
        self._last = 0.0
        self._closed = False

    def poke(self, urgent: bool = False) -> None:
        with self._lock:
            if self._closed:
                return
            wait = self._interval_s - (time.monotonic() - self._last)
            if not urgent and self._timer is not None:
                return
            if urgent or wait <= 0:
                if self._timer is not None:
                    self._timer.cancel()
                    self._timer = None
                self._last = time.monotonic()
            else:
                self._timer = threading.Timer(wait, self._fire)
                self._timer.daemon = True
                self._timer.start()
                return
        self._run()

    def _fire(self) -> None:
        with self._lock:
            self._timer = None
            if self._closed:
                return
            self._last = time.monotonic()
        self._run()

    def _run(self) -> None:
        with self._run_lock:
            self._fn()

    def flush(self) -> None:
        """Run now (pending changes land), cancelling a scheduled run."""
        self.poke(urgent=True)

    def close(self) -> None:
        with self._lock:
            self._closed = True
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
