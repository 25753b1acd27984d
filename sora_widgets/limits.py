"""The local limits of a session: budget, jobs in flight, submits per minute (checked before anything is sent)."""

from __future__ import annotations

import collections
import time
from collections.abc import Callable

from .config import Limits
from .errors import BudgetExceededError
from .params import VideoParams

__all__ = ["check_limits"]


def check_limits(limits: Limits, params: VideoParams, cost: float | None, *, profile_name: str,
                 spent_usd: Callable[[], float],
                 in_flight: Callable[[], int], submits: collections.deque[float]) -> None:
    """Refuse a submit that would break the budget or a rate limit, with a message that says how to fix it.
    ``spent_usd`` and ``in_flight`` are asked only when their limit is set (each reads the journal)."""
    if limits.budget_usd is not None:
        budget = float(limits.budget_usd)
        if cost is None:
            raise BudgetExceededError(
                f"model {params.model!r} has no price in backend profile {profile_name!r}, so the "
                f"${budget:.2f} budget cannot be kept for it: give the model a price in the profile "
                "(ModelSpec(..., price_per_second={'*': <USD>})) or lift the budget with "
                "sw.configure(budget_usd=None)"
            )
        spent = spent_usd()
        if spent + cost > budget + 1e-9:
            raise BudgetExceededError(
                f"this job would cost ${cost:.2f}; ${spent:.2f} of the ${budget:.2f} budget is spent "
                f"(${max(0.0, budget - spent):.2f} left). Raise it with sw.configure(budget_usd=...)."
            )
    if limits.max_concurrent is not None and in_flight() >= limits.max_concurrent:
        raise BudgetExceededError(
            f"max_concurrent={limits.max_concurrent} jobs are already in flight; wait for "
            "one to finish or raise the limit with sw.configure(max_concurrent=...)"
        )
    if limits.max_per_minute is not None:
        now = time.monotonic()
        while submits and now - submits[0] > 60.0:
            submits.popleft()
        if len(submits) >= limits.max_per_minute:
            raise BudgetExceededError(
                f"max_per_minute={limits.max_per_minute} jobs were submitted in the last minute; wait, or "
                "raise the limit with sw.configure(max_per_minute=...)"
            )
