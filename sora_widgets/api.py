"""The public engine API: ``sw.configure``, ``sw.submit``, ``sw.generate``, ``sw.jobs``, ``sw.resume``, ...

One engine per process. It is built on first use from ``configure()`` arguments, else from
``OPENAI_API_KEY``/``OPENAI_BASE_URL``, else against a local emulator started on demand (announced once).
"""

from __future__ import annotations

import atexit
import os
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .engine import Engine, Settings
from .errors import ValidationError
from .jobs import VideoJob
from .profiles import DEFAULT_PROFILE, BackendProfile, get_profile
from .store import default_home

__all__ = [
    "agenerate",
    "backend_info",
    "budget_remaining",
    "configure",
    "engine",
    "estimate_cost",
    "generate",
    "get_job",
    "jobs",
    "on_job_added",
    "reset",
    "resume",
    "spend",
    "submit",
]

_UNSET: Any = object()
_LIMITS = frozenset({"budget_usd", "max_concurrent", "max_per_minute"})
_lock = threading.RLock()
_config: dict[str, Any] = {}
_engine: Engine | None = None
_emulator: Any = None
_announced = False
_added_callbacks: list[Callable[[VideoJob], Any]] = []


def configure(
    *,
    base_url: str | None = _UNSET,
    api_key: str | None = _UNSET,
    client: Any = _UNSET,
    profile: str | BackendProfile | None = _UNSET,
    home: str | os.PathLike[str] | None = _UNSET,
    budget_usd: float | None = _UNSET,
    max_concurrent: int | None = _UNSET,
    max_per_minute: int | None = _UNSET,
) -> dict[str, Any]:
    """Set the backend and limits. Arguments not given keep their current value; call again at any time.

    Parameters
    ----------
    base_url, api_key
        A Videos API endpoint (ends in ``/v1``) and its key. Default: ``OPENAI_BASE_URL``/``OPENAI_API_KEY``;
        with neither set, a local emulator is started on demand (and announced once on stderr).
    client
        Your own ``openai.AsyncOpenAI`` (Azure, a LiteLLM proxy, a gateway); it wins over base_url/api_key.
    profile
        A :class:`~sora_widgets.profiles.BackendProfile` or a registered profile name (models, sizes, seconds,
        prices, features). Default: the OpenAI spec profile.
    home
        Directory of the job journal and media. Default: ``$SORA_WIDGETS_HOME`` or the per-user data dir.
    budget_usd
        Refuse a job that would take the backend's spend past this.
    max_concurrent, max_per_minute
        Refuse a submit beyond these many jobs in flight / submitted in the last minute.

    Returns
    -------
    dict
        :func:`backend_info` of the new configuration (never the key).
    """
    given = {
        "base_url": base_url, "api_key": api_key, "client": client, "profile": profile, "home": home,
        "budget_usd": budget_usd, "max_concurrent": max_concurrent, "max_per_minute": max_per_minute,
    }
    given = {k: v for k, v in given.items() if v is not _UNSET}
    if isinstance(given.get("profile"), str):
        try:
            given["profile"] = get_profile(given["profile"])
        except KeyError as exc:
            raise ValidationError(str(exc.args[0]), "profile") from None
    for name in ("budget_usd",):
        if given.get(name) is not None and float(given[name]) < 0:
            raise ValidationError(f"{name} must be >= 0, got {given[name]!r}", name)
    for name in ("max_concurrent", "max_per_minute"):
        if given.get(name) is not None and int(given[name]) < 1:
            raise ValidationError(f"{name} must be at least 1 (or None for no limit), got {given[name]!r}", name)
    with _lock:
        _config.update(given)
        if _engine is not None and set(given) <= _LIMITS:
            # Limits only: keep the engine (and every job in flight), just change its settings.
            for name in given:
                setattr(_engine.settings, name, given[name])
        else:
            _shutdown_engine()
    return backend_info()


def reset() -> None:
    """Forget all configuration and stop the engine (and an embedded emulator). For tests and fresh starts."""
    global _announced
    with _lock:
        _shutdown_engine()
        _stop_emulator()
        _config.clear()
        _added_callbacks.clear()
        _announced = False


def _shutdown_engine() -> None:
    global _engine
    if _engine is not None:
        _engine.close()
        _engine = None


def _stop_emulator() -> None:
    global _emulator
    if _emulator is not None:
        try:
            _emulator.stop()
        except Exception:
            pass
        _emulator = None


atexit.register(lambda: (_shutdown_engine(), _stop_emulator()))


def _start_embedded_emulator(home: Path, profile: BackendProfile) -> Any:
    global _emulator, _announced
    if _emulator is None:
        from .emulator import start_emulator

        speed = float(os.environ.get("SORA_WIDGETS_EMULATOR_SPEED", "1.0"))
        kwargs: dict[str, Any] = {"speed": speed, "data_dir": home / "emulator"}
        if profile is not DEFAULT_PROFILE:
            kwargs["profile"] = profile
        _emulator = start_emulator(**kwargs)
    if not _announced:
        print(
            f"sora_widgets: no OPENAI_API_KEY set, using the local emulator at {_emulator.base_url}",
            file=sys.stderr,
            flush=True,
        )
        _announced = True
    return _emulator


def engine() -> Engine:
    """The process's engine, built from the configuration on first use."""
    global _engine
    with _lock:
        if _engine is not None:
            return _engine
        profile = _config.get("profile") or DEFAULT_PROFILE
        home = Path(_config.get("home") or default_home()).expanduser()
        client = _config.get("client")
        base_url = _config.get("base_url")
        api_key = _config.get("api_key")
        settings = Settings(
            profile=profile,
            home=home,
            budget_usd=_config.get("budget_usd"),
            max_concurrent=_config.get("max_concurrent"),
            max_per_minute=_config.get("max_per_minute"),
        )
        if client is not None:
            settings.client = client
        elif base_url or api_key or os.environ.get("OPENAI_API_KEY") or os.environ.get("OPENAI_BASE_URL"):
            settings.base_url = base_url or os.environ.get("OPENAI_BASE_URL") or None
            settings.api_key = api_key or os.environ.get("OPENAI_API_KEY") or "none"
        else:
            emu = _start_embedded_emulator(home, profile)
            settings.base_url = emu.base_url
            settings.api_key = emu.api_key
            settings.label = "local emulator"
            settings.is_emulator = True
            # The embedded emulator gets a new port each process; its videos live under home, so key by that.
            settings.backend_key = f"local-emulator:{home / 'emulator'}"
        _engine = Engine(settings)
        _engine.added_callbacks = _added_callbacks
        return _engine


def submit(
    prompt: str,
    *,
    model: str | None = None,
    size: str | None = None,
    seconds: int | str | None = None,
    input_reference: Any = None,
    fit: str = "cover",
    cache: bool = True,
) -> VideoJob:
    """Start a video and return its :class:`VideoJob` at once (status ``pending``).

    Parameters
    ----------
    prompt
        What the video shows.
    model, size, seconds
        Defaults from the backend profile; checked against it before any request.
    input_reference
        Image (path, bytes or PIL image) used as the first frame, fitted to ``size``.
    fit
        ``"cover"`` (crop, default), ``"contain"`` (letterbox) or ``"error"`` (refuse a size mismatch).
    cache
        Return an identical finished (or running) job instead of paying again.

    Raises
    ------
    ValidationError
        Bad model/size/seconds/prompt/image, naming what is allowed.
    BudgetExceededError
        The job would exceed ``budget_usd``, ``max_concurrent`` or ``max_per_minute``.
    """
    return engine().submit(
        prompt, model=model, size=size, seconds=seconds, input_reference=input_reference, fit=fit, cache=cache
    )


def _in_notebook() -> bool:
    shell = sys.modules.get("IPython")
    if shell is None or "ipykernel" not in sys.modules:
        return False
    try:
        ip = shell.get_ipython()  # type: ignore[attr-defined]
    except Exception:
        return False
    return ip is not None and type(ip).__name__ == "ZMQInteractiveShell"


def _wait_with_bar(job: VideoJob, timeout: float | None) -> None:
    from tqdm import tqdm

    done = threading.Event()
    bar = tqdm(total=100, desc=job.id, unit="%", bar_format="{desc}: {percentage:3.0f}%|{bar}| {postfix}",
               file=sys.stderr)

    def refresh(j: VideoJob) -> None:
        if j.progress is not None:
            bar.n = j.progress
        bar.set_postfix_str(f"{j.status} {j.elapsed_s:.0f}s", refresh=False)
        bar.refresh()
        if j.done:
            done.set()

    unsubscribe = job.on_change(refresh)
    try:
        if not job.done:
            job.wait(timeout)
        refresh(job)
    finally:
        unsubscribe()
        bar.close()


def _raise_if_failed(job: VideoJob) -> VideoJob:
    if job.status in ("failed", "expired", "unknown") and job.error is not None:
        exc = job.error.exception()
        exc.job = job  # type: ignore[attr-defined]
        raise exc
    if job.status == "completed" and job.video_path is None and job.error is not None:
        exc = job.error.exception()
        exc.job = job  # type: ignore[attr-defined]
        raise exc
    return job


def generate(
    prompt: str,
    *,
    model: str | None = None,
    size: str | None = None,
    seconds: int | str | None = None,
    input_reference: Any = None,
    fit: str = "cover",
    cache: bool = True,
    timeout: float | None = None,
    progress: bool | None = None,
) -> VideoJob:
    """Submit and block until the video is downloaded (script or notebook cell; the poller keeps running
    in its own thread). Shows a tqdm bar outside notebooks when stderr is a terminal (``progress=True`` forces it).

    Raises
    ------
    ContentPolicyError, AuthenticationError, RateLimitError, BackendUnavailableError, SoraWidgetsError
        When the job fails (the exception's ``.job`` is the failed job); TimeoutError after ``timeout``.
    """
    job = submit(prompt, model=model, size=size, seconds=seconds, input_reference=input_reference, fit=fit,
                 cache=cache)
    show = progress if progress is not None else (not _in_notebook() and sys.stderr.isatty())
    if show:
        _wait_with_bar(job, timeout)
    else:
        job.wait(timeout)
    return _raise_if_failed(job)


async def agenerate(
    prompt: str,
    *,
    model: str | None = None,
    size: str | None = None,
    seconds: int | str | None = None,
    input_reference: Any = None,
    fit: str = "cover",
    cache: bool = True,
) -> VideoJob:
    """:func:`generate` for ``await`` (a notebook cell, any running event loop). Same errors."""
    job = submit(prompt, model=model, size=size, seconds=seconds, input_reference=input_reference, fit=fit,
                 cache=cache)
    await job
    return _raise_if_failed(job)


def jobs() -> list[VideoJob]:
    """Every journaled job under ``home``, from this and earlier processes, oldest first."""
    return engine().all_jobs()


def get_job(key: str) -> VideoJob:
    """The job with this local id or backend video id (a unique prefix is enough)."""
    return engine().get_job(key)


def resume() -> list[VideoJob]:
    """Re-attach to in-flight jobs of the configured backend (polling again), finish creates whose outcome a
    dead process never saw (looking for them first), and fetch completed-but-missing media. Returns those jobs."""
    return engine().resume()


def on_job_added(callback: Callable[[VideoJob], Any]) -> Callable[[], None]:
    """Call ``callback(job)`` whenever a job is submitted in this process (on the submitting thread).
    Returns an unsubscribe function."""
    _added_callbacks.append(callback)

    def unsubscribe() -> None:
        if callback in _added_callbacks:
            _added_callbacks.remove(callback)

    return unsubscribe


def estimate_cost(model: str | None = None, size: str | None = None, seconds: int | str | None = None) -> float | None:
    """USD for one video with these parameters on the configured profile; None when it has no price."""
    from .params import estimate_cost as _estimate

    profile = _config.get("profile") or DEFAULT_PROFILE
    return _estimate(profile, model, size, seconds)


def backend_info() -> dict[str, Any]:
    """``{label, base_url_host, is_emulator, profile}`` of the configured backend. Never the key.

    Does not start anything: before first use of an embedded emulator, the label says it will be started.
    """
    profile = _config.get("profile") or DEFAULT_PROFILE
    if _engine is not None:
        return {
            "label": _engine.label,
            "base_url_host": _engine.client.host,
            "is_emulator": _engine.settings.is_emulator,
            "profile": profile.name,
        }
    client = _config.get("client")
    base_url = _config.get("base_url")
    if client is not None:
        base_url = str(getattr(client, "base_url", ""))
    elif base_url is None and (_config.get("api_key") or os.environ.get("OPENAI_API_KEY")
                               or os.environ.get("OPENAI_BASE_URL")):
        base_url = os.environ.get("OPENAI_BASE_URL") or "https://api.openai.com/v1"
    if base_url is None:
        return {"label": "local emulator", "base_url_host": "127.0.0.1", "is_emulator": True, "profile": profile.name}
    from .client import host_of

    host = host_of(base_url)
    return {"label": host, "base_url_host": host, "is_emulator": False, "profile": profile.name}


def spend() -> float:
    """USD committed on the configured backend (all journaled jobs that were sent), from the estimates."""
    return engine().spend()


def budget_remaining() -> float | None:
    """``budget_usd`` minus :func:`spend`, or None without a budget."""
    return engine().budget_remaining()
