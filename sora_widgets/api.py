"""The public engine API: ``sw.configure``, ``sw.submit``, ``sw.generate``, ``sw.jobs``, ``sw.resume``, ...

One engine per process. It is built on first use from ``configure()`` arguments, else from
``OPENAI_API_KEY``/``OPENAI_BASE_URL``, else against a local emulator started on demand (announced once).
Reading the journal (``jobs``, ``get_job``, ``spend``, ``budget_remaining``) never builds it: before the first
action those read the SQLite journal under ``home`` directly.

Locking: ``_lock`` guards the module state and is only held for quick swaps; an old engine (and emulator) is torn
down after it is released, so an ``on_change`` callback on a dying engine's thread that calls back into this
module never waits for that engine's own shutdown.
"""

from __future__ import annotations

import atexit
import os
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from .client import host_of, label_of, public_url
from .engine import Engine, Settings, job_from_row
from .errors import ValidationError
from .jobs import VideoJob
from .profiles import DEFAULT_PROFILE, BackendProfile, get_profile
from .store import Journal, default_home

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

_T = TypeVar("_T")
_UNSET: Any = object()
EMULATOR = "emulator"  # configure(base_url="emulator"): the embedded emulator even when OPENAI_API_KEY is set
_LIMITS = frozenset({"budget_usd", "max_concurrent", "max_per_minute"})
_lock = threading.RLock()
_config: dict[str, Any] = {}
_engine: Engine | None = None
_reader: _JournalReader | None = None
_emulator: Any = None
_emulator_made: tuple[BackendProfile, Path] | None = None  # (profile, data_dir) the embedded emulator serves
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
    old: tuple[Engine | None, _JournalReader | None] = (None, None)
    old_emulator = None
    with _lock:
        _config.update(given)
        if set(given) <= _LIMITS:
            # Limits only: keep the engine (and every job in flight), just change its settings.
            if _engine is not None:
                for name in given:
                    setattr(_engine.settings, name, given[name])
        else:
            old = _detach()
            plan = _plan()
            if plan.is_emulator and not _emulator_matches(plan):
                # another profile or home: the next engine starts an emulator that serves them
                old_emulator = _drop_emulator()
    _teardown(*old, old_emulator)
    return backend_info()


def reset() -> None:
    """Forget all configuration and stop the engine (and an embedded emulator). For tests and fresh starts."""
    global _announced
    with _lock:
        old_engine, old_reader = _detach()
        old_emulator = _drop_emulator()
        _config.clear()
        _added_callbacks.clear()
        _announced = False
    _teardown(old_engine, old_reader, old_emulator)


def _emulator_matches(plan: _Plan) -> bool:
    """Under ``_lock``: the embedded emulator (if any) serves ``plan``'s profile under ``plan``'s home."""
    if _emulator is None or _emulator_made is None:
        return True
    profile, data_dir = _emulator_made
    return profile == plan.profile and data_dir == plan.home / "emulator" and bool(_emulator.running)


def _drop_emulator() -> Any:
    """Under ``_lock``: forget the embedded emulator and return it (to stop outside the lock)."""
    global _emulator, _emulator_made
    old, _emulator, _emulator_made = _emulator, None, None
    return old


def _detach() -> tuple[Engine | None, _JournalReader | None]:
    """Under ``_lock``: forget the engine and the journal reader (marking the engine closed), return them."""
    global _engine, _reader
    old_engine, old_reader = _engine, _reader
    _engine = _reader = None
    if old_engine is not None:
        old_engine.mark_closed()
    return old_engine, old_reader


def _teardown(old_engine: Engine | None, old_reader: _JournalReader | None = None, old_emulator: Any = None) -> None:
    """Outside ``_lock``: close what :func:`_detach` returned. From the old engine's own thread (an ``on_change``
    callback that reconfigures) it runs on a helper thread, so that thread never waits for itself."""
    if old_engine is None and old_reader is None and old_emulator is None:
        return

    def run() -> None:
        if old_engine is not None:
            old_engine.close()
        if old_reader is not None:
            old_reader.close()
        if old_emulator is not None:
            try:
                old_emulator.stop()
            except Exception:
                pass

    if old_engine is not None and threading.current_thread() is old_engine.thread:
        threading.Thread(target=run, name="sora-engine-teardown", daemon=True).start()
    else:
        run()


def _at_exit() -> None:
    with _lock:
        old_engine, old_reader = _detach()
        old_emulator = _drop_emulator()
    _teardown(old_engine, old_reader, old_emulator)


atexit.register(_at_exit)


@dataclass(frozen=True)
class _Plan:
    """What the configuration (and environment) points at, worked out without starting anything."""

    profile: BackendProfile
    home: Path
    is_emulator: bool
    base_url: str | None  # normalized like the SDK does (no trailing slash); None for the embedded emulator
    backend_key: str


def _plan() -> _Plan:
    profile = _config.get("profile") or DEFAULT_PROFILE
    home = Path(_config.get("home") or default_home()).expanduser()
    client = _config.get("client")
    base_url = _config.get("base_url")
    if client is not None:
        url = str(getattr(client, "base_url", "")).rstrip("/")
    elif base_url == EMULATOR:
        url = None
    elif base_url or _config.get("api_key") or os.environ.get("OPENAI_API_KEY") or os.environ.get("OPENAI_BASE_URL"):
        import httpx

        raw = base_url or os.environ.get("OPENAI_BASE_URL") or "https://api.openai.com/v1"
        url = str(httpx.URL(raw)).rstrip("/")  # what VideoClient.base_url will be (the SDK adds a "/")
    else:
        url = None
    if url is None:
        # The embedded emulator gets a new port each process; its videos live under home, so key by that.
        return _Plan(profile, home, True, None, f"local-emulator:{home / 'emulator'}")
    return _Plan(profile, home, False, url, url)


class _JournalReader:
    """The journal under ``home`` read directly, before any engine exists: no emulator, thread or network.

    Its job objects are handed to the engine when it is built (so callers keep the objects they hold); a job of
    the configured backend builds the engine on its first action (remix, delete, retry)."""

    def __init__(self, plan: _Plan) -> None:
        self.plan = plan
        self._lock = threading.Lock()
        self._journal: Journal | None = None
        self._jobs: dict[str, VideoJob] = {}
        self.closed = False

    def _open(self) -> Journal:
        if self.closed:
            raise _Stale
        if self._journal is None:
            self._journal = Journal(self.plan.home)
        return self._journal

    def _job(self, row: dict[str, Any]) -> VideoJob:
        job = self._jobs.get(row["id"])
        if job is None:
            job = job_from_row(row, self.plan.backend_key, None)
            if job.backend_key == self.plan.backend_key:
                job._attach = _attach_job
            self._jobs[job.id] = job
        return job

    def all_jobs(self) -> list[VideoJob]:
        with self._lock:
            return [self._job(row) for row in self._open().all()]

    def get_job(self, key: str) -> VideoJob:
        with self._lock:
            return self._job(self._open().find(key))

    def spend(self) -> float:
        with self._lock:
            return self._open().spend(self.plan.backend_key)

    def budget_remaining(self) -> float | None:
        budget = _config.get("budget_usd")
        return None if budget is None else max(0.0, float(budget) - self.spend())

    def hand_over(self) -> list[VideoJob]:
        """Close, returning the job objects made so far (for the new engine to adopt)."""
        with self._lock:
            self.closed = True
            if self._journal is not None:
                self._journal.close()
                self._journal = None
            return list(self._jobs.values())

    def close(self) -> None:
        self.hand_over()


class _Stale(Exception):
    """The reader was replaced (the engine was built or the configuration changed) while a call was starting."""


def _source() -> Engine | _JournalReader:
    """The engine when there is one, else the journal reader (built on demand; starts nothing)."""
    global _reader
    with _lock:
        if _engine is not None:
            return _engine
        if _reader is None:
            _reader = _JournalReader(_plan())
        return _reader


def _read(op: Callable[[Engine | _JournalReader], _T]) -> _T:
    for _ in range(10):
        try:
            return op(_source())
        except _Stale:
            continue
    return op(engine())


def _attach_job(job: VideoJob) -> None:
    """A job read from the journal before the engine existed: build the engine and let it take the job over."""
    eng = engine()
    eng.adopt([job])
    if job._engine is None and job.backend_key == eng.backend_key:
        job._engine = eng


def _start_embedded_emulator(home: Path, profile: BackendProfile, *, forced: bool = False) -> Any:
    """Under ``_lock``: the embedded emulator for ``profile`` under ``home``; one serving another profile or
    home (or one that died) is replaced. ``configure()`` already drops a mismatched one outside the lock; this
    covers the rest (e.g. an emulator stopped by hand)."""
    global _emulator, _emulator_made, _announced
    data_dir = home / "emulator"
    if _emulator is not None and not (
        _emulator_made == (profile, data_dir) and bool(getattr(_emulator, "running", True))
    ):
        stale = _drop_emulator()
        try:
            stale.stop()
        except Exception:
            pass
    if _emulator is None:
        from .emulator import start_emulator

        speed = float(os.environ.get("SORA_WIDGETS_EMULATOR_SPEED", "1.0"))
        kwargs: dict[str, Any] = {"speed": speed, "data_dir": data_dir}
        if profile is not DEFAULT_PROFILE:
            kwargs["profile"] = profile
        _emulator = start_emulator(**kwargs)
        _emulator_made = (profile, data_dir)
    if not _announced:
        # Information, not an error: stdout (a notebook shows stderr as a red box).
        print(
            f"sora_widgets: {'as configured' if forced else 'no OPENAI_API_KEY set'}, "
            f"using the local emulator at {_emulator.base_url}",
            file=sys.stdout,
            flush=True,
        )
        _announced = True
    return _emulator


def engine() -> Engine:
    """The process's engine, built from the configuration on first use."""
    global _engine, _reader
    with _lock:
        if _engine is not None:
            return _engine
        plan = _plan()
        client = _config.get("client")
        settings = Settings(
            profile=plan.profile,
            home=plan.home,
            budget_usd=_config.get("budget_usd"),
            max_concurrent=_config.get("max_concurrent"),
            max_per_minute=_config.get("max_per_minute"),
        )
        if client is not None:
            settings.client = client
        elif not plan.is_emulator:
            settings.base_url = _config.get("base_url") or os.environ.get("OPENAI_BASE_URL") or None
            settings.api_key = _config.get("api_key") or os.environ.get("OPENAI_API_KEY") or "none"
        else:
            emu = _start_embedded_emulator(plan.home, plan.profile, forced=_config.get("base_url") == EMULATOR)
            settings.base_url = emu.base_url
            settings.api_key = emu.api_key
            settings.label = "local emulator"
            settings.is_emulator = True
            settings.backend_key = plan.backend_key
        eng = Engine(settings)
        eng.added_callbacks = _added_callbacks
        if _reader is not None:
            eng.adopt(_reader.hand_over())
            _reader = None
        _engine = eng
        return eng


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
        ip = shell.get_ipython()
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
    return _read(lambda source: source.all_jobs())


def get_job(key: str) -> VideoJob:
    """The job with this local id or backend video id (a unique prefix is enough). KeyError if none."""
    return _read(lambda source: source.get_job(key))


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
    """The configured backend, never the key, credentials or a query string::

        {label, base_url_host, port, is_emulator, profile, profile_object, backend_key}

    ``label``: ``"local emulator"``, else the host, with ``:port`` when the URL names one (two local servers
    differ). ``profile``: the profile's name; ``profile_object``: the :class:`BackendProfile` itself (also an
    unregistered one). ``backend_key``: what ``job.backend_key`` holds for this backend's jobs (compare with it to
    tell whether a job's actions work). Does not start anything: before first use of an embedded emulator, it
    describes the emulator that will be started.
    """
    with _lock:
        eng = _engine
        plan = _plan()
    if eng is not None:
        url = eng.client.base_url
        return {
            "label": eng.label,
            "base_url_host": eng.client.host,
            "port": _port_of(url),
            "is_emulator": eng.settings.is_emulator or _is_live_emulator(url),
            "profile": eng.profile.name,
            "profile_object": eng.profile,
            "backend_key": eng.backend_key if eng.settings.is_emulator else public_url(eng.backend_key),
        }
    if plan.is_emulator or plan.base_url is None:
        return {"label": "local emulator", "base_url_host": "127.0.0.1", "port": None, "is_emulator": True,
                "profile": plan.profile.name, "profile_object": plan.profile, "backend_key": plan.backend_key}
    return {
        "label": label_of(plan.base_url),
        "base_url_host": host_of(plan.base_url),
        "port": _port_of(plan.base_url),
        "is_emulator": _is_live_emulator(plan.base_url),
        "profile": plan.profile.name,
        "profile_object": plan.profile,
        "backend_key": public_url(plan.backend_key),
    }


def _is_live_emulator(url: str | None) -> bool:
    """``url`` is the base URL of an emulator started in this process (``sw.start_emulator()``) and running."""
    emulator = sys.modules.get("sora_widgets.emulator")  # not imported: none was started
    if emulator is None or not url:
        return False
    wanted = url.rstrip("/")
    return any(
        handle.base_url.rstrip("/") == wanted and handle.running for handle in list(getattr(emulator, "_LIVE", ()))
    )


def _port_of(url: str) -> int | None:
    from urllib.parse import urlparse

    try:
        return urlparse(url).port
    except ValueError:
        return None


def spend() -> float:
    """USD committed on the configured backend (all journaled jobs that were sent), from the estimates."""
    return _read(lambda source: source.spend())


def budget_remaining() -> float | None:
    """``budget_usd`` minus :func:`spend`, or None without a budget."""
    return _read(lambda source: source.budget_remaining())
