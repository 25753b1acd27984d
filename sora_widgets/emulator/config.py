"""The emulator's settings (:class:`EmulatorConfig`), the simulated job duration, and profiles as JSON (how
``start_emulator`` hands a profile to the child process)."""

from __future__ import annotations

import base64
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..profiles import OPENAI_PROFILE, BackendProfile, ModelSpec

__all__ = ["DIALECT_NAMES", "EmulatorConfig", "allowed_list", "job_duration", "profile_from_dict", "profile_to_dict"]

#: The dialects the emulator speaks, in the order they are listed. Kept here, below the dialects, so the settings
#: can refuse an unknown one without importing them; ``dialects.DIALECTS`` has one class per name (a test checks).
DIALECT_NAMES = ("openai", "litellm", "litellm-veo", "vllm-omni", "sglang", "sglang-i2v", "reseller", "gemini",
                 "fal")


def profile_to_dict(profile: BackendProfile) -> dict[str, Any]:
    return {
        "name": profile.name,
        "models": [
            {
                "name": m.name,
                "sizes": list(m.sizes),
                "seconds": list(m.seconds),
                "price_per_second": dict(m.price_per_second),
                "label": m.label,
            }
            for m in profile.models
        ],
        "features": sorted(profile.features),
        "open_models": profile.open_models,
        "description": profile.description,
    }


def profile_from_dict(data: dict[str, Any]) -> BackendProfile:
    return BackendProfile(
        name=data["name"],
        models=tuple(
            ModelSpec(
                m["name"],
                tuple(m["sizes"]),
                tuple(str(s) for s in m["seconds"]),
                dict(m.get("price_per_second", {})),
                label=m.get("label", ""),
            )
            for m in data["models"]
        ),
        features=frozenset(data.get("features", ())),
        open_models=bool(data.get("open_models", False)),
        description=data.get("description", ""),
    )



@dataclass
class EmulatorConfig:
    api_key: str
    data_dir: Path
    speed: float = 1.0
    job_duration_s: float | None = None
    fail_rate: float = 0.0
    lost_create_rate: float | None = None
    rate_limit_per_minute: int | None = None
    latency_ms: float = 0.0
    drop_download_rate: float = 0.0
    seed: int | None = None
    profile: BackendProfile = OPENAI_PROFILE
    max_concurrent_renders: int = 2
    expires_after_s: float | None = None
    webhook_url: str | None = None
    webhook_secret: str | None = None
    dialect: str = "openai"
    echo_key_in_errors: bool = False  # a careless backend: failed jobs' messages quote the caller's key

    def __post_init__(self) -> None:
        if self.dialect not in DIALECT_NAMES:
            raise ValueError(f"unknown dialect {self.dialect!r}; choose one of: {', '.join(DIALECT_NAMES)}")
        if self.speed <= 0:
            raise ValueError(f"speed must be > 0, got {self.speed}")
        if self.job_duration_s is not None and self.job_duration_s < 0:
            raise ValueError(f"job_duration_s must be >= 0, got {self.job_duration_s}")
        if self.latency_ms < 0:
            raise ValueError(f"latency_ms must be >= 0, got {self.latency_ms}")
        for name in ("fail_rate", "drop_download_rate"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must be between 0 and 1, got {value}")
        if self.lost_create_rate is not None and not 0.0 <= self.lost_create_rate <= 1.0:
            raise ValueError(f"lost_create_rate must be between 0 and 1, got {self.lost_create_rate}")
        if self.max_concurrent_renders < 1:
            raise ValueError("max_concurrent_renders must be >= 1")
        if self.webhook_url is not None:
            from urllib.parse import urlsplit

            host = (urlsplit(self.webhook_url).hostname or "").lower()
            if host not in ("localhost", "::1") and not host.startswith("127."):
                raise ValueError(f"webhook_url must be on loopback (localhost/127.0.0.1), got {self.webhook_url!r}")
            if self.webhook_secret is None:
                self.webhook_secret = "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()
        if self.rate_limit_per_minute is not None and self.rate_limit_per_minute < 1:
            raise ValueError("rate_limit_per_minute must be >= 1 (or None for no limit)")

    @property
    def poll_after_ms(self) -> int:
        """The ``openai-poll-after-ms`` hint: 2 s at speed 1, scaled, at least 50 ms."""
        return max(50, int(round(2000 / self.speed)))

    @property
    def expiry_s(self) -> int:
        if self.expires_after_s is not None:
            return max(1, int(round(self.expires_after_s)))
        return max(1, int(round(3600 / self.speed)))


def job_duration(model: str, size: str, seconds: float, speed: float, fixed: float | None) -> float:
    """Wall-clock seconds a job spends ``in_progress`` (before the render's own time is counted)."""
    if fixed is not None:
        return float(fixed)
    base = 6.0 + float(seconds)
    if "pro" in model:
        base *= 2.5
        if size in ("1792x1024", "1024x1792"):
            base *= 1.4
    return base / speed



def allowed_list(values: Iterable[str]) -> str:
    """``'a', 'b' and 'c'`` - the way the real API lists allowed values."""
    quoted = [f"'{v}'" for v in values]
    if len(quoted) <= 1:
        return "".join(quoted)
    return ", ".join(quoted[:-1]) + " and " + quoted[-1]

