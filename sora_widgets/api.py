"""The public engine API (``sw.configure``, ``sw.submit``, ``sw.generate``, ``sw.jobs``, ...): a thin facade over the
:class:`~sora_widgets.session.Session` of the configured ``home``.

The backend is, in order: ``configure()`` arguments, ``OPENAI_API_KEY``/``OPENAI_BASE_URL``, else a local emulator
started on demand (announced once). Reading (``jobs``, ``get_job``, ``spend``, ``budget_remaining``,
``backend_info``) starts nothing: no emulator, no thread, no network.

Locking: ``_lock`` guards the module state and is held only for quick swaps; an old engine (and emulator) is torn
down after it is released, on a helper thread when the caller is that engine's own thread (an ``on_change``
callback that reconfigures), so nothing waits for itself.
"""

from __future__ import annotations

import atexit
import os
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from . import embedded
from .backend_setup import build_engine
from .catalog import Catalog
from .config import LIMITS, Backend, check_arguments, limits_of, merge, plan
from .engine import Engine
from .job import VideoJob
from .loop import at_exit
from .params import VideoRequest
from .profiles import DEFAULT_PROFILE
from .session import Session
from .urls import host_of, label_of, port_of
from .waiting import in_notebook, raise_if_failed, wait_with_bar

__all__ = [
    "agenerate", "backend_info", "budget_remaining", "configure", "engine", "estimate_cost", "generate",
    "get_job", "jobs", "on_job_added", "reset", "resume", "session", "spend", "submit",
]

_UNSET: Any = object()
_lock = threading.RLock()
_config: dict[str, Any] = {}
_sessions: dict[Path, Session] = {}
_current: Session | None = None
_added_callbacks: list[Callable[[VideoJob], Any]] = []


def configure(
    *,
    base_url: str | None = _UNSET,
    api_key: str | None = _UNSET,
    client: Any = _UNSET,
    profile: Any = _UNSET,
    home: str | os.PathLike[str] | None = _UNSET,
    budget_usd: float | None = _UNSET,
    max_concurrent: int | None = _UNSET,
    max_per_minute: int | None = _UNSET,
    provider: str | None = _UNSET,
    model: str | None = _UNSET,
) -> dict[str, Any]:
    """Set the backend and limits. Arguments not given keep their current value; call again at any time.

    Parameters
    ----------
    base_url, api_key
        A Videos API endpoint (ends in ``/v1``) and its key. Default (``None``): ``OPENAI_BASE_URL`` /
        ``OPENAI_API_KEY``; with neither set, a local emulator is started on demand (and announced once on
        stdout). ``base_url="emulator"`` always uses that embedded emulator, even when ``OPENAI_API_KEY`` is
        set (``api_key`` is then ignored); ``%sora backend emulator`` does this.
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
    provider
        A provider with its own API, reached in-process (``"gemini"``, ``"fal"``, ``"runwayml"``, ``"minimax"``,
        ``"dashscope"``; docs/providers.md), with ``api_key`` or the provider's usual variable (``GEMINI_API_KEY``,
        ``FAL_KEY``, ...); ``base_url`` then names another endpoint of that provider. Naming a provider forgets
        the previous backend's URL and key. ``None``: back to the Videos API backends above.
    model
        The default model of the profile (the panel's first choice; ``sw.generate`` without ``model=``).

    Returns
    -------
    dict
        :func:`backend_info` of the new configuration (never the key).
    """
    given = {
        "base_url": base_url, "api_key": api_key, "client": client, "profile": profile, "home": home,
        "budget_usd": budget_usd, "max_concurrent": max_concurrent, "max_per_minute": max_per_minute,
        "provider": provider, "model": model,
    }
    given = check_arguments({k: v for k, v in given.items() if v is not _UNSET})
    retire: list[tuple[Session, Engine | None]] = []
    old_emulator = None
    with _lock:
        merged = merge(_config, given)
        target = plan(merged)  # a bad provider/model raises here, before the configuration changes
        _config.clear()
        _config.update(merged)
        current = _session_locked(target, retire)
        current.limits = limits_of(_config)
        if not set(given) <= LIMITS:
            # Another backend (or key, client, profile): a new engine; the job objects stay.
            snapshot = dict(_config)
            retire.append((current, current.replace(target, lambda s: build_engine(s, target, snapshot))))
            if target.is_emulator and not embedded.matches(target.profile, target.home):
                old_emulator = embedded.drop()  # another profile or home: the next engine starts its own
    for sess, old in retire:
        _retire(sess, old, old_emulator)
    return backend_info()


def _session_locked(target: Backend, retire: list[tuple[Session, Engine | None]]) -> Session:
    """Under ``_lock``: the session of ``target.home`` made current (a session elsewhere stops acting; its
    engine is added to ``retire``, to tear down once the lock is released)."""
    global _current
    sess = _sessions.get(target.home)
    if sess is None:
        sess = _sessions[target.home] = Session(target.home, _announce)
    if _current is not sess:
        if _current is not None:
            retire.append((_current, _current.replace(None, None)))
        snapshot = dict(_config)
        sess.replace(target, lambda s: build_engine(s, target, snapshot))
        sess.limits = limits_of(_config)
        _current = sess
    return sess


def session() -> Session:
    """The session of the configured ``home`` (opens its journal; starts nothing else)."""
    retire: list[tuple[Session, Engine | None]] = []
    with _lock:
        if _current is not None and _current.backend is not None:
            return _current
        sess = _session_locked(plan(_config), retire)
    for old_session, old in retire:
        _retire(old_session, old, None)
    return sess


def _retire(sess: Session, old: Engine | None, old_emulator: Any, *, close: bool = False) -> None:
    """Tear ``old`` down (and ``old_emulator``), then let ``sess`` move its followed jobs to the new engine.
    From ``old``'s own thread it runs on a helper thread, so that thread never waits for itself."""
    if old is None and old_emulator is None and not close:
        sess.retired()
        return

    def run() -> None:
        try:
            if old is not None:
                old.close()
            embedded.stop(old_emulator)
            if close:
                sess.close()
        finally:
            sess.retired()  # even after a failed teardown: the session must not wait for it forever

    if old is not None and threading.current_thread() is old.thread:
        threading.Thread(target=run, name="sora-engine-teardown", daemon=True).start()
    else:
        run()


def reset() -> None:
    """Forget all configuration and stop the engine (and an embedded emulator). For tests and fresh starts."""
    global _current
    with _lock:
        sessions = list(_sessions.values())
        _sessions.clear()
        _current = None
        _config.clear()
        _added_callbacks.clear()
        retiring = [(sess, sess.replace(None, None)) for sess in sessions]
        old_emulator = embedded.drop()
        embedded.forget_announcement()
    for sess, old in retiring:
        _retire(sess, old, None, close=True)
    embedded.stop(old_emulator)


atexit.register(reset)

#: At exit, how long in-flight creates may take to be answered (then they stay journaled for resume()).
EXIT_WAIT_S = float(os.environ.get("SORA_WIDGETS_EXIT_WAIT_S", "30"))


def _drain_at_exit() -> None:
    with _lock:
        sessions = list(_sessions.values())
    for sess in sessions:
        sess.drain_creates(EXIT_WAIT_S)


at_exit(_drain_at_exit)


def engine() -> Engine:
    """The configured session's engine, built on first use (tests and diagnostics)."""
    return session().engine()


def _announce(job: VideoJob) -> None:
    for callback in list(_added_callbacks):
        try:
            callback(job)
        except Exception:
            import logging

            logging.getLogger(__name__).exception("on_job_added callback %r failed", callback)


def submit(
    prompt: str,
    *,
    model: str | None = None,
    size: str | None = None,
    seconds: int | str | None = None,
    input_reference: Any = None,
    fit: str = "cover",
    cache: bool = True,
    seed: int | None = None,
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
    seed
        A whole number 0..4294967295 for another take of the same inputs: sent to backends that take one (the
        emulator; profiles with the ``seed`` feature), and part of the cache key everywhere, so takes with
        different seeds are never collapsed into one.

    Raises
    ------
    ValidationError
        Bad model/size/seconds/prompt/image/seed, naming what is allowed.
    BudgetExceededError
        The job would exceed ``budget_usd``, ``max_concurrent`` or ``max_per_minute``.
    """
    return session().submit(VideoRequest(prompt, model, size, seconds, input_reference, fit, cache, seed))


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
    job = session().submit(VideoRequest(prompt, model, size, seconds, input_reference, fit, cache))
    show = progress if progress is not None else (not in_notebook() and sys.stderr.isatty())
    if show:
        wait_with_bar(job, timeout)
    else:
        job.wait(timeout)
    return raise_if_failed(job)


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
    job = session().submit(VideoRequest(prompt, model, size, seconds, input_reference, fit, cache))
    await job
    return raise_if_failed(job)


def jobs() -> list[VideoJob]:
    """Every journaled job under ``home``, from this and earlier processes, oldest first."""
    return session().jobs()


def job_catalog() -> Catalog:
    """Search, filters, counts and windows over every journaled job (what ``sw.Gallery`` shows); starts nothing."""
    sess = session()
    return Catalog(sess.journal, sess)


def get_job(key: str) -> VideoJob:
    """Close, returning the job objects made so far (for the new engine to adopt)."""
    return session().get_job(key)


def resume() -> list[VideoJob]:
    """Re-attach to in-flight jobs of the configured backend (polling again), finish creates whose outcome a
    dead process never saw (looking for them first), and fetch completed-but-missing media. Returns those jobs."""
    return session().resume()


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

    with _lock:
        profile = plan(_config).profile if _config else DEFAULT_PROFILE
    return _estimate(profile, model, size, seconds)


def backend_info() -> dict[str, Any]:
    """The configured backend, never the key, credentials or a query string::

        {label, base_url_host, port, is_emulator, profile, profile_object, backend_key}

    ``label``: ``"local emulator"``, else the host, with ``:port`` when the URL names one (two local servers
    differ). ``profile``: the profile's name; ``profile_object``: the :class:`BackendProfile` itself (also an
    unregistered one). ``backend_key``: what ``job.backend_key`` holds for this backend's jobs (compare with it to
    tell whether a job's actions work). Does not start anything: before first use of an embedded emulator, it
    describes the emulator that will be started.
    """
    with _lock:
        target = plan(_config)
        sess = _current
    return {**_backend_info(target, sess), "provider": target.provider}


def _backend_info(target: Backend, sess: Session | None) -> dict[str, Any]:
    eng = sess.current_engine() if sess is not None and sess.backend == target else None
    if eng is not None:
        url = eng.client.base_url
        return {"label": eng.label, "base_url_host": eng.client.host, "port": port_of(url),
                "is_emulator": eng.settings.is_emulator or embedded.is_live_emulator(url),
                "profile": eng.profile.name, "profile_object": eng.profile, "backend_key": eng.backend_key}
    if target.is_emulator or target.base_url is None:
        return {"label": "local emulator", "base_url_host": "127.0.0.1", "port": None, "is_emulator": True,
                "profile": target.profile.name, "profile_object": target.profile, "backend_key": target.backend_key}
    label = label_of(target.base_url)
    if target.provider:
        from .providers import get_provider, label_for

        label = label_for(get_provider(target.provider), target.base_url)
    return {"label": label, "base_url_host": host_of(target.base_url),
            "port": port_of(target.base_url), "is_emulator": embedded.is_live_emulator(target.base_url),
            "profile": target.profile.name, "profile_object": target.profile, "backend_key": target.backend_key}


def spend() -> float:
    """Close, returning the job objects made so far (for the new engine to adopt)."""
    return session().spend()


def budget_remaining() -> float | None:
    """Close, returning the job objects made so far (for the new engine to adopt)."""
    return session().budget_remaining()
