"""Seeded fault injection: injected 5xx, lost creates, dropped downloads and the rate limit's token bucket.

Each fault draws from its own ``random.Random`` (seeded from ``seed``), so turning one on does not shift the
others and the same seed and request sequence give the same faults.
"""

from __future__ import annotations

import random
import secrets
import time
from collections import Counter

from .config import EmulatorConfig

__all__ = ["FaultInjector", "TokenBucket"]


class TokenBucket:
    """Requests per minute, refilled continuously."""

    def __init__(self, per_minute: int) -> None:
        self.capacity = float(per_minute)
        self.tokens = float(per_minute)
        self.rate = per_minute / 60.0
        self.stamp = time.monotonic()

    def _refill(self) -> None:
        now = time.monotonic()
        self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now

    def take(self) -> bool:
        self._refill()
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return True
        return False

    @property
    def remaining(self) -> int:
        return int(self.tokens)

    def reset_s(self) -> float:
        """Seconds until the bucket is full again."""
        return (self.capacity - self.tokens) / self.rate

    def retry_after_s(self) -> float:
        """Seconds until one token is there."""
        return max(0.0, (1.0 - self.tokens) / self.rate)


class FaultInjector:
    """What happens to each request; ``counts`` is what was injected (``stats()["faults"]``)."""

    def __init__(self, config: EmulatorConfig) -> None:
        self.config = config
        self.counts: Counter[str] = Counter()
        seed = config.seed if config.seed is not None else secrets.randbits(32)
        self.rng_fail = random.Random(f"{seed}:fail")
        self.rng_lost = random.Random(f"{seed}:lost")
        self.rng_drop = random.Random(f"{seed}:drop")
        self.bucket = TokenBucket(config.rate_limit_per_minute) if config.rate_limit_per_minute else None

    def take_token(self) -> bool:
        return self.bucket.take() if self.bucket is not None else True

    def rate_headers(self) -> dict[str, str]:
        if self.bucket is None:
            return {}
        reset = self.bucket.reset_s()
        return {
            "x-ratelimit-limit-requests": str(int(self.bucket.capacity)),
            "x-ratelimit-remaining-requests": str(self.bucket.remaining),
            "x-ratelimit-reset-requests": f"{reset:.3f}s",
        }

    def roll_failure(self, creates: bool) -> str | None:
        """What to do with this request: None, ``"fail"`` (5xx before anything) or ``"lost"``."""
        cfg = self.config
        if (creates and cfg.lost_create_rate is not None and cfg.lost_create_rate > 0
                and self.rng_lost.random() < cfg.lost_create_rate):
            return "lost"
        if cfg.fail_rate > 0 and self.rng_fail.random() < cfg.fail_rate:
            if creates and cfg.lost_create_rate is None and self.rng_lost.random() < 0.5:
                return "lost"
            return "fail"
        return None

    def roll_drop(self) -> bool:
        rate = self.config.drop_download_rate
        return rate > 0 and self.rng_drop.random() < rate

    def roll_status(self) -> int:
        return 503 if self.rng_fail.random() < 0.5 else 500

    def roll_lost_mode(self) -> str:
        return "drop" if self.rng_lost.random() < 0.5 else "error"

