"""What ``sw.configure()`` arguments (and the environment) point at, worked out without starting anything."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import ValidationError
from .profiles import DEFAULT_PROFILE, BackendProfile, get_profile
from .store import default_home
from .urls import public_url

__all__ = ["EMULATOR", "LIMITS", "Backend", "Limits", "check_arguments", "merge", "plan"]

EMULATOR = "emulator"  # configure(base_url="emulator"): the embedded emulator even when OPENAI_API_KEY is set
LIMITS = frozenset({"budget_usd", "max_concurrent", "max_per_minute"})


@dataclass(frozen=True)
class Backend:
    """The configured backend. ``backend_key`` is what its jobs' ``backend_key`` holds: the base URL without
    credentials or query (or ``local-emulator:<home>/emulator`` for the embedded emulator, whose port changes
    per process while its data dir does not)."""

    profile: BackendProfile
    home: Path
    is_emulator: bool
    base_url: str | None  # normalized like the SDK does (no trailing slash); None for the embedded emulator
    backend_key: str
    provider: str | None = None  # a provider of providers/ (gemini, fal, ...), reached in-process


@dataclass
class Limits:
    """Local limits, checked before anything is journaled or sent."""

    budget_usd: float | None = None
    max_concurrent: int | None = None
    max_per_minute: int | None = None


def check_arguments(given: dict[str, Any]) -> dict[str, Any]:
    """``configure()`` arguments checked and normalised (a profile name becomes the profile)."""
    given = dict(given)
    if given.get("provider") is not None:
        from .providers import get_provider

        given["provider"] = get_provider(given["provider"]).name
    if given.get("model") is not None and (not isinstance(given["model"], str) or not given["model"].strip()):
        raise ValidationError(f"model must be a model name, got {given['model']!r}", "model")
    if isinstance(given.get("profile"), str):
        try:
            given["profile"] = get_profile(given["profile"])
        except KeyError as exc:
            raise ValidationError(str(exc.args[0]), "profile") from None
    if given.get("budget_usd") is not None and float(given["budget_usd"]) < 0:
        raise ValidationError(f"budget_usd must be >= 0, got {given['budget_usd']!r}", "budget_usd")
    for name in ("max_concurrent", "max_per_minute"):
        if given.get(name) is not None and int(given[name]) < 1:
            raise ValidationError(f"{name} must be at least 1 (or None for no limit), got {given[name]!r}", name)
    return given


def merge(config: dict[str, Any], given: dict[str, Any]) -> dict[str, Any]:
    """``given`` over ``config``. Naming another provider (or ``provider=None``) forgets the previous backend's URL,
    key, client, profile and model (a key must never follow the user to another host); the emulator or a client
    forgets the provider."""
    merged = dict(config)
    if "provider" in given and given["provider"] != config.get("provider"):
        for name in ("base_url", "api_key", "client", "profile", "model"):
            merged.pop(name, None)
    elif given.get("base_url") == EMULATOR or given.get("client") is not None:
        merged.pop("provider", None)
    merged.update(given)
    return merged


def _default_model_first(profile: BackendProfile, model: str | None) -> BackendProfile:
    """``profile`` with ``model`` as its default (``configure(model=...)``); an unknown model is refused."""
    if not model or profile.default_model == model:
        return profile
    spec = profile.find_model(model)
    if spec is None:
        raise ValidationError(f"model {model!r} is not offered by backend profile {profile.name!r}; allowed: "
                              f"{', '.join(profile.model_names)}", "model")
    return profile.with_models((spec, *(m for m in profile.models if m.name != spec.name)))


def plan(config: dict[str, Any]) -> Backend:
    """The backend ``config`` (merged ``configure()`` arguments) points at."""
    home = Path(config.get("home") or default_home()).expanduser()
    if config.get("provider"):
        from .providers import base_url_for, get_provider

        spec = get_provider(config["provider"])
        profile = _default_model_first(config.get("profile") or spec.profile, config.get("model"))
        endpoint = base_url_for(spec, config.get("base_url"))
        return Backend(profile, home, False, endpoint, f"{spec.name}:{public_url(endpoint)}", spec.name)
    profile = _default_model_first(config.get("profile") or DEFAULT_PROFILE, config.get("model"))
    client = config.get("client")
    base_url = config.get("base_url")
    if client is not None:
        url: str | None = str(getattr(client, "base_url", "")).rstrip("/")
    elif base_url == EMULATOR:
        url = None
    elif base_url or config.get("api_key") or os.environ.get("OPENAI_API_KEY") or os.environ.get("OPENAI_BASE_URL"):
        import httpx

        raw = base_url or os.environ.get("OPENAI_BASE_URL") or "https://api.openai.com/v1"
        url = str(httpx.URL(raw)).rstrip("/")  # what VideoClient.base_url will be (the SDK adds a "/")
    else:
        url = None
    if url is None:
        return Backend(profile, home, True, None, f"local-emulator:{home / 'emulator'}")
    return Backend(profile, home, False, url, public_url(url))


def limits_of(config: dict[str, Any]) -> Limits:
    return Limits(config.get("budget_usd"), config.get("max_concurrent"), config.get("max_per_minute"))
