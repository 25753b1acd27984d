"""What ``sw.configure()`` arguments (and the environment) point at, worked out without starting anything."""

from __future__ import annotations

import math
import numbers
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from .errors import ValidationError
from .profiles import DEFAULT_PROFILE, BackendProfile, get_profile
from .redact import redact, register, register_url
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
    """``configure()`` arguments checked with the care ``submit()`` gets (before anything is stored or sent)
    and normalised (a profile name becomes the profile). Secrets are registered for redaction first, so not
    even this function's own errors can show them."""
    given = dict(given)
    register_url(given.get("base_url") if isinstance(given.get("base_url"), str) else None)
    if isinstance(given.get("api_key"), str):
        register(given["api_key"])
    client = given.get("client")
    if client is not None:
        import openai

        if not isinstance(client, (openai.AsyncOpenAI, openai.OpenAI)):
            raise ValidationError(f"client must be an openai.AsyncOpenAI (or OpenAI) instance, got "
                                  f"{type(client).__name__}", "client")
        register(str(getattr(client, "api_key", "") or ""))
        register_url(str(client.base_url))
    if given.get("base_url") is not None:
        given["base_url"] = _check_base_url(given["base_url"])
    if given.get("api_key") is not None:
        given["api_key"] = _check_api_key(given["api_key"])
    if given.get("profile") is not None:
        if isinstance(given["profile"], str):
            try:
                given["profile"] = get_profile(given["profile"])
            except KeyError as exc:
                raise ValidationError(str(exc.args[0]), "profile") from None
        elif not isinstance(given["profile"], BackendProfile):
            raise ValidationError(f"profile must be a BackendProfile or a registered profile name, got "
                                  f"{type(given['profile']).__name__}", "profile")
    if given.get("home") is not None:
        given["home"] = _check_home(given["home"])
    if given.get("budget_usd") is not None:
        given["budget_usd"] = _check_budget(given["budget_usd"])
    if given.get("provider") is not None:
        from .providers import get_provider

        given["provider"] = get_provider(given["provider"]).name
    if given.get("model") is not None and (not isinstance(given["model"], str) or not given["model"].strip()):
        raise ValidationError(f"model must be a model name, got {given['model']!r}", "model")
    for name in ("max_concurrent", "max_per_minute"):
        value = given.get(name)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, numbers.Integral):
            raise ValidationError(f"{name} must be a whole number of jobs (at least 1) or None for no limit, "
                                  f"got {value!r} ({type(value).__name__})", name)
        if int(value) < 1:
            raise ValidationError(f"{name} must be at least 1 (or None for no limit), got {value!r}", name)
        given[name] = int(value)
    return given


def _check_base_url(value: Any) -> str:
    if not isinstance(value, str):
        raise ValidationError(f"base_url must be text (an http(s) URL ending in /v1, or 'emulator'), got "
                              f"{type(value).__name__}", "base_url")
    text = value.strip()
    if text == EMULATOR:
        return text
    try:
        parsed = urlparse(text)
        port_ok = parsed.port is None or 0 < parsed.port < 65536
    except ValueError:
        parsed, port_ok = urlparse(""), False
    if parsed.scheme not in ("http", "https") or not parsed.hostname or not port_ok or \
            any(c.isspace() or ord(c) < 32 for c in text):
        raise ValidationError(
            f"base_url {redact(text)!r} is not a URL: give http(s)://host[:port]/v1 (e.g. "
            "http://localhost:4000/v1 for a LiteLLM proxy), or 'emulator' for the local emulator", "base_url")
    return text


def _check_api_key(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValidationError("api_key must be non-empty text (or None to use OPENAI_API_KEY), got "
                              f"{type(value).__name__}", "api_key")
    if any(c.isspace() or ord(c) < 32 or ord(c) > 126 for c in value.strip()):
        raise ValidationError("api_key contains spaces, line breaks or non-ASCII characters (a copy-paste "
                              "slip?); an HTTP header cannot carry it", "api_key")
    return value.strip()


def _check_home(value: Any) -> Path:
    if not isinstance(value, (str, os.PathLike)):
        raise ValidationError(f"home must be a directory path, got {type(value).__name__}", "home")
    text = os.fspath(value)
    if not isinstance(text, str) or not text.strip() or "\0" in text:
        raise ValidationError(f"home must be a directory path, got {value!r}", "home")
    path = Path(text).expanduser()
    if path.exists() and not path.is_dir():
        raise ValidationError(f"home {path} is a file, not a directory: give a directory (it is created if "
                              "missing) for the journal and media", "home")
    return path


def _check_budget(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValidationError(f"budget_usd must be a number of US dollars (e.g. 5.0) or None for no budget, "
                              f"got {value!r} ({type(value).__name__})", "budget_usd")
    budget = float(value)
    if not math.isfinite(budget) or budget < 0:
        raise ValidationError(f"budget_usd must be a finite amount >= 0 (or None for no budget), got {value!r}",
                              "budget_usd")
    return budget


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
