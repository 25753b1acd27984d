"""When to ask a backend about a video again: pure functions, testable without waiting.

Sparse early, dense near the predicted end. The end comes from the progress rate measured *since the job
started running* (samples taken while it was queued never anchor the rate: a job waiting for a render slot
is not a slow job), or, when the backend reports no progress, from this backend's history of jobs of the
same kind (:func:`history_delay`).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from .capabilities import canonical_status
from .hidden_queue import overrun_tolerance_s
from .vocab import TERMINAL

__all__ = [
    "DENSE_STEP_S",
    "FIRST_POLL_S",
    "Sample",
    "backoff_delay",
    "completion_time",
    "estimate_eta",
    "history_delay",
    "history_lead_s",
    "is_terminal",
    "left_queue_at",
    "next_delay",
    "normalize_progress",
    "normalize_status",
]

_DONE = TERMINAL | {"cancelled"}

FIRST_POLL_S = 2.0  # long enough to see a first progress step, short enough for a queued job
MIN_INTERVAL_S = 0.5
MAX_INTERVAL_S = 30.0
NEAR_END_S = 3.0  # within this of the ETA, aim at the ETA itself (plus a small margin)
END_MARGIN_S = 0.25
DENSE_STEP_S = 1.0  # near a history-predicted end: the SDK's own default cadence


def normalize_status(raw: Any) -> str:
    """The backend's status word as one of queued/in_progress/completed/failed/cancelled/expired/deleted.

    Unknown words count as in progress: a poller that keeps asking is better than one that stops early.
    """
    return canonical_status(raw)


def is_terminal(status: str) -> bool:
    return status in _DONE


def normalize_progress(raw: Any) -> float | None:
    """``progress`` as a float 0..100, or None when absent or not a number (an indeterminate job)."""
    if raw is None or isinstance(raw, bool):
        return None
    try:
        value = float(raw)
    except (TypeError, ValueError):
        return None
    if value != value:  # NaN
        return None
    return max(0.0, min(100.0, value))


@dataclass(frozen=True)
class Sample:
    """One observation: local monotonic time, progress (None when the backend sends none) and status."""

    t: float
    progress: float | None
    status: str = "in_progress"


def estimate_eta(samples: Sequence[Sample]) -> float | None:
    """Seconds from the last sample until progress reaches 100, from the observed rate; None if unknown.

    Only samples taken while the job ran count (a queued job's zero says nothing about its speed). The rate is
    measured from the first sample that showed movement (or the last running one still at zero) to the latest,
    the longest baseline that excludes time spent queued; whole-percent progress counts as up to one
    point more than reported (truncation), so the estimate is a lower bound.
    """
    known = [s for s in samples if s.progress is not None and s.status != "queued"]
    if len(known) < 2:
        return None
    last = known[-1]
    assert last.progress is not None
    if last.progress >= 100.0:
        return 0.0
    moving = [s for s in known if s.progress and s.progress > 0]
    if not moving:
        return None
    zeros = [s for s in known if not s.progress and s.t < moving[0].t]
    anchor = moving[0] if len(moving) >= 2 else (zeros[-1] if zeros else None)
    if anchor is None or anchor.progress is None or last.t <= anchor.t:
        return None
    # Backends report whole percents (truncated): the true value may be up to one point more, at both ends.
    # Take the fastest consistent rate and the most progress, so the estimate errs early (one extra request)
    # rather than late (a late detection).
    quantum = 1.0 if float(last.progress).is_integer() and float(anchor.progress).is_integer() else 0.0
    rate = (last.progress - anchor.progress + quantum) / (last.t - anchor.t)
    if rate <= 0:
        return None
    return max(0.0, 100.0 - last.progress - quantum) / rate


def next_delay(
    *,
    status: str,
    elapsed_s: float,
    eta_s: float | None,
    poll_after_s: float | None = None,
    min_s: float = MIN_INTERVAL_S,
    max_s: float = MAX_INTERVAL_S,
    rand: Callable[[], float] = random.random,
) -> float:
    """Seconds until the next status request for one video.

    Sparse early, dense near the end: with an ETA, come back at 85% of the remaining time (jittered a little
    so many jobs spread out), and within :data:`NEAR_END_S` aim just past the ETA. Without one (queued, or a
    backend with no progress), back off gently with the elapsed time. ``poll_after_s`` (the server's
    ``openai-poll-after-ms``) is a floor, except for the request aimed at the predicted end.
    """
    floor = max(min_s, poll_after_s or 0.0)
    if eta_s is not None and status == "in_progress":
        if eta_s <= NEAR_END_S:
            # The one place we may come back sooner than the server's hint: one request aimed at the end.
            return max(min_s, min(max_s, eta_s + END_MARGIN_S))
        else:
            delay = 0.85 * eta_s * (0.95 + 0.05 * rand())
    elif status == "queued":
        delay = min((poll_after_s or FIRST_POLL_S) + 0.1 * elapsed_s, 10.0)
    else:  # indeterminate: no progress reported
        delay = min((poll_after_s or 1.0) + 0.15 * elapsed_s, 10.0) * (0.9 + 0.2 * rand())
    return max(floor, min(max_s, delay))


def backoff_delay(
    attempt: int,
    retry_after_s: float | None = None,
    *,
    base_s: float = 0.5,
    cap_s: float = 30.0,
    rand: Callable[[], float] = random.random,
) -> float:
    """Exponential backoff with full jitter for attempt 1, 2, ...; the server's ``retry-after`` wins when larger."""
    exp = min(cap_s, base_s * (2.0 ** max(0, attempt - 1)))  # 2.0: int ** int is typed Any
    delay = exp / 2 + rand() * exp / 2
    if retry_after_s is not None:
        delay = max(delay, retry_after_s)
    return min(max(delay, 0.0), max(cap_s, retry_after_s or 0.0))


def history_delay(*, now: float, run_start: float, expected_run_s: float, min_s: float = MIN_INTERVAL_S,
                  rand: Callable[[], float] = random.random) -> float:
    """Seconds until the next status request of a job whose end this backend's history predicts: jobs of its
    kind ran ``expected_run_s`` from ``run_start``. Sparse before: one request aimed a little before that end
    (the history's own error); dense around and past it: every :data:`DENSE_STEP_S` (as often as the SDK's
    ``poll()`` asks, so detection is as prompt) for as long as that error can explain; then gently less."""
    end = run_start + expected_run_s
    remaining = end - history_lead_s(expected_run_s) - now
    if remaining > MAX_INTERVAL_S:
        return MAX_INTERVAL_S * (0.95 + 0.05 * rand())
    if remaining > 0.05:
        return max(min_s, remaining)
    overdue = now - end
    slack = overrun_tolerance_s(expected_run_s)
    if overdue <= slack:
        return max(min_s, DENSE_STEP_S)
    return max(min_s, min(5.0, DENSE_STEP_S + 0.1 * (overdue - slack)))


def history_lead_s(expected_run_s: float) -> float:
    """How early the aim at a history-predicted end comes: the run times it learned are dated from polls."""
    return max(0.3, 0.03 * expected_run_s)


def completion_time(previous_t: float | None, now: float, completed_at: Any, wall_offset: float | None,
                    predicted: float | None = None) -> float:
    """When a job completed, on the monotonic clock: between the last sample that saw it running and the one
    that saw it done, narrowed by the backend's ``completed_at`` (whole seconds, wall clock; ``wall_offset`` =
    wall - monotonic) when given and consistent (a backend whose clock disagrees is simply not used), else at
    the ``predicted`` end held within those two samples, else halfway between them."""
    if previous_t is None:
        return now
    if wall_offset is not None and not isinstance(completed_at, bool) and isinstance(completed_at, (int, float)):
        lo, hi = max(previous_t, completed_at - wall_offset), min(now, completed_at + 1.0 - wall_offset)
        if lo <= hi:
            return (lo + hi) / 2
    if predicted is not None:
        return min(now, max(previous_t, predicted))
    return (previous_t + now) / 2


def left_queue_at(previous_t: float, now: float, freed: Sequence[float], *, from_create: bool = False) -> float:
    """When a job seen queued at ``previous_t`` and running at ``now`` took its render slot: slots free only when
    jobs end, so the first moment in between at which one of ours ended (``freed``); with none, at ``previous_t``
    when that was the create's answer (it had a slot at once: none of ours had ended), else halfway."""
    inside = [t for t in freed if previous_t <= t <= now]
    if inside:
        return min(inside)
    return previous_t if from_create else (previous_t + now) / 2
