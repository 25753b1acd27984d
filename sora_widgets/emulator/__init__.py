"""A local server faithful to OpenAI's Videos API (``/v1/videos``), on loopback.

>>> from sora_widgets import start_emulator
>>> with start_emulator(speed=40) as emu:          # doctest: +SKIP
...     client = openai.OpenAI(base_url=emu.base_url, api_key=emu.api_key)
...     video = client.videos.create_and_poll(prompt="A spinning red cube on a white background")

The server runs in a child process (``python -m sora_widgets.emulator --port 0 --exit-on-stdin-eof``) with
its renders in a small pool of worker processes, so status requests stay fast while videos render and the
process that embeds it (a notebook kernel) is never slowed. The handle stops the child on ``stop()``, on
leaving the ``with`` block, at interpreter exit, and - because the child watches its stdin - even when the
parent dies without cleaning up.

Modules: :mod:`.app` (the app and its routes; handlers in :mod:`.handlers`/:mod:`.derived`), :mod:`.engine`
(lifecycle, renders, persistence; :mod:`.faults`, :mod:`.webhooks`, :mod:`.config`), :mod:`.render` (procedural
media), :mod:`.moderation` (the blocklist), :mod:`.dialects` (carriers' and providers' accents), ``__main__``
(the CLI).
"""

from __future__ import annotations

import atexit
import json
import os
import queue
import secrets
import shutil
import ssl
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import IO, Any

from ..profiles import BackendProfile

__all__ = ["EmulatorError", "EmulatorHandle", "start_emulator"]

_API_KEY_ENV = "SORA_EMULATOR_API_KEY"
# running handles, held until stopped: an emulator lives until stop() or interpreter exit, even when the caller
# keeps no reference to its handle
_LIVE: set[EmulatorHandle] = set()


class EmulatorError(RuntimeError):
    """The emulator could not start (the message carries the end of its log)."""


class EmulatorHandle:
    """A running emulator.

    Attributes
    ----------
    base_url : str
        ``http://127.0.0.1:PORT/v1``; give it to ``openai.OpenAI(base_url=...)``.
    api_key : str
        The key the server requires (``Authorization: Bearer <api_key>``).
    host, port : str, int
        Where it listens.
    data_dir : pathlib.Path
        Where its videos and state are kept (a temporary directory removed by :meth:`stop` unless one was given).
    log_path : pathlib.Path
        The server's log (stderr of the child process).
    pid : int
        The server process id.
    webhook_secret : str or None
        The ``whsec_...`` secret its webhooks are signed with (when started with ``webhook_url``).
    """

    def __init__(
        self,
        process: subprocess.Popen[bytes],
        base_url: str,
        api_key: str,
        data_dir: Path,
        log_path: Path,
        owns_data_dir: bool,
        log_file: IO[bytes],
    ) -> None:
        self._process = process
        self.base_url = base_url
        self.api_key = api_key
        self.data_dir = data_dir
        self.log_path = log_path
        self._owns_data_dir = owns_data_dir
        self._log_file = log_file
        self._lock = threading.Lock()
        self._stopped = False
        rest = base_url.split("://", 1)[1].split("/", 1)[0]  # http or https
        host, _, port = rest.rpartition(":")
        self.host = host.strip("[]")
        self.port = int(port)
        self.root_url = base_url[: -len("/v1")]
        self.webhook_secret: str | None = None
        #: what httpx should verify TLS with (the emulator's own certificate when it serves https)
        self.verify: ssl.SSLContext | bool = True
        _LIVE.add(self)

    @property
    def pid(self) -> int:
        return self._process.pid

    @property
    def running(self) -> bool:
        return not self._stopped and self._process.poll() is None

    def stats(self) -> dict[str, Any]:
        """Counts from the server: requests per route kind (``create``, ``retrieve``, ``list``, ``content``,
        ``delete``, ``remix``, ``edit``, ``extend``; all of them under ``requests``), ``videos`` (held, deleted
        excluded), ``statuses``, ``rendering``, ``faults`` (injected: ``500``, ``503``, ``429``,
        ``lost_create``, ``dropped_download``) and the ``config`` it runs with."""
        import httpx

        resp = httpx.get(f"{self.root_url}/_emulator/stats", headers={"Authorization": f"Bearer {self.api_key}"},
                         timeout=10.0, verify=self.verify)
        resp.raise_for_status()
        data: dict[str, Any] = resp.json()
        return data

    def cancel(self, video_id: str) -> str:
        """Cancel a queued or rendering job as if in the provider's dashboard (``POST /_emulator/cancel``); its
        status then reads ``cancelled`` (``canceled`` in the reseller dialect). Returns the job's status."""
        import httpx

        resp = httpx.post(f"{self.root_url}/_emulator/cancel/{video_id}", timeout=10.0, verify=self.verify,
                          headers={"Authorization": f"Bearer {self.api_key}"})
        resp.raise_for_status()
        return str(resp.json()["status"])

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the server (gracefully, then by force), and remove its temporary data directory."""
        with self._lock:
            if self._stopped:
                return
            self._stopped = True
        proc = self._process
        try:
            if proc.poll() is None:
                # closing stdin asks the child to shut down; SIGTERM and SIGKILL follow if it does not
                if proc.stdin is not None:
                    try:
                        proc.stdin.close()
                    except OSError:
                        pass
                try:
                    proc.wait(timeout=timeout)
                except subprocess.TimeoutExpired:
                    proc.terminate()
                    try:
                        proc.wait(timeout=5)
                    except subprocess.TimeoutExpired:
                        proc.kill()
                        proc.wait(timeout=5)
        finally:
            for stream in (proc.stdout,):
                if stream is not None:
                    try:
                        stream.close()
                    except OSError:
                        pass
            try:
                self._log_file.close()
            except OSError:
                pass
            if self._owns_data_dir:
                shutil.rmtree(self.data_dir, ignore_errors=True)
            _LIVE.discard(self)

    def __enter__(self) -> EmulatorHandle:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def __repr__(self) -> str:  # never shows the key
        state = "running" if self.running else "stopped"
        return f"<EmulatorHandle {self.base_url} pid={self.pid} {state}>"


def _stop_all() -> None:
    for handle in list(_LIVE):
        try:
            handle.stop(timeout=5)
        except Exception:
            pass


atexit.register(_stop_all)


def start_emulator(
    *,
    port: int = 0,
    speed: float = 1.0,
    job_duration_s: float | None = None,
    fail_rate: float = 0.0,
    rate_limit_per_minute: int | None = None,
    latency_ms: float = 0,
    drop_download_rate: float = 0.0,
    seed: int | None = None,
    api_key: str | None = None,
    data_dir: str | os.PathLike[str] | None = None,
    profile: BackendProfile | str | None = None,
    max_concurrent_renders: int = 2,
    lost_create_rate: float | None = None,
    expires_after_s: float | None = None,
    host: str = "127.0.0.1",
    echo_key_in_errors: bool = False,
    webhook_url: str | None = None,
    webhook_secret: str | None = None,
    startup_timeout: float = 60.0,
    dialect: str = "openai",
    tls_certfile: str | os.PathLike[str] | None = None,
    tls_keyfile: str | os.PathLike[str] | None = None,
) -> EmulatorHandle:
    """Start an emulator in a child process and return its :class:`EmulatorHandle` once it accepts requests.

    Parameters
    ----------
    port
        TCP port on ``host``; 0 picks a free one.
    speed
        Divides every duration: job times, expiry (``3600 / speed`` s) and the ``openai-poll-after-ms`` hint
        (``2000 / speed`` ms, at least 50). At 1.0 a 4 s sora-2 clip completes in about 10 s.
    job_duration_s
        Fix every job's ``in_progress`` wall-clock length (benchmarks); the render still has to finish.
    fail_rate
        Share of API requests answered 500/503. For creates, half of those are *lost creates* (the job is made,
        the client sees a 5xx or a dropped connection) unless ``lost_create_rate`` is given.
    rate_limit_per_minute
        Token-bucket limit; over it, 429 with ``retry-after`` and ``x-ratelimit-*`` headers.
    latency_ms
        Added to every API request.
    drop_download_rate
        Share of content downloads dropped mid-body.
    seed
        Seeds the fault injectors, so a run is reproducible.
    api_key
        The key to require; a random ``sk-emulator-...`` when None.
    data_dir
        Keep videos and state here (a restarted emulator serves them again); a temporary directory, removed by
        :meth:`EmulatorHandle.stop`, when None.
    profile
        The :class:`~sora_widgets.profiles.BackendProfile` (or a registered profile name) whose models, sizes
        and seconds are served; OpenAI's by default.
    max_concurrent_renders
        Jobs rendering at once; the rest stay ``queued``.
    lost_create_rate
        Share of creates that are lost (independently of ``fail_rate``).
    expires_after_s
        Seconds from completion to expiry (default ``3600 / speed``).
    echo_key_in_errors
        Fault: a failed job's error message quotes the API key (as careless proxies do), to test redaction.
    host
        Interface to bind; loopback by default.
    webhook_url, webhook_secret
        Send signed ``video.completed`` / ``video.failed`` events to this loopback URL (OpenAI's format;
        verify with ``client.webhooks.unwrap(body, headers, secret=handle.webhook_secret)``). The secret is
        ``whsec_<base64>``; a random one when None.
    startup_timeout
        Seconds to wait for the server to accept requests.
    dialect
        The accent to speak: ``openai`` (default), a carrier's (``litellm``, ``litellm-veo``, ``vllm-omni``,
        ``sglang``, ``reseller``) or a provider's own API (``gemini``, ``fal``); see the emulator's README.
        Without ``profile``, the dialect's own models are served.
    tls_certfile, tls_keyfile
        Serve HTTPS with this PEM certificate and key (for clients that only speak https, such as
        ``fal-client``); ``base_url`` then starts with ``https://`` and :meth:`EmulatorHandle.stats` trusts the
        certificate.
    """
    from ..profiles import get_profile
    from .engine import EmulatorConfig, profile_to_dict

    if (tls_certfile is None) != (tls_keyfile is None):
        raise ValueError("tls_certfile and tls_keyfile go together (a PEM certificate and its key)")
    if isinstance(profile, str):  # resolved here: the child does not see profiles registered in this process
        profile = get_profile(profile)
    key = api_key or f"sk-emulator-{secrets.token_hex(16)}"
    # fail fast, here, on bad values (a ValueError naming the option) rather than in the child
    EmulatorConfig(
        api_key=key, data_dir=Path("."), speed=speed, job_duration_s=job_duration_s, fail_rate=fail_rate,
        lost_create_rate=lost_create_rate, rate_limit_per_minute=rate_limit_per_minute, latency_ms=latency_ms,
        drop_download_rate=drop_download_rate, seed=seed, max_concurrent_renders=max_concurrent_renders,
        expires_after_s=expires_after_s, webhook_url=webhook_url, webhook_secret=webhook_secret, dialect=dialect,
        echo_key_in_errors=echo_key_in_errors, **({"profile": profile} if profile is not None else {}),
    )
    owns = data_dir is None
    root = Path(tempfile.mkdtemp(prefix="sora-emulator-")) if data_dir is None else Path(data_dir).expanduser()
    root = root.resolve()
    root.mkdir(parents=True, exist_ok=True)
    log_path = root / "emulator.log"
    args = [
        sys.executable, "-m", "sora_widgets.emulator",
        "--host", host,
        "--port", str(port),
        "--speed", repr(float(speed)),
        "--fail-rate", repr(float(fail_rate)),
        "--latency-ms", repr(float(latency_ms)),
        "--drop-download-rate", repr(float(drop_download_rate)),
        "--data-dir", str(root),
        "--max-concurrent-renders", str(int(max_concurrent_renders)),
        "--exit-on-stdin-eof",
        "--dialect", dialect,
    ]
    if job_duration_s is not None:
        args += ["--job-duration-s", repr(float(job_duration_s))]
    if rate_limit_per_minute is not None:
        args += ["--rate-limit-per-minute", str(int(rate_limit_per_minute))]
    if seed is not None:
        args += ["--seed", str(int(seed))]
    if lost_create_rate is not None:
        args += ["--lost-create-rate", repr(float(lost_create_rate))]
    if expires_after_s is not None:
        args += ["--expires-after-s", repr(float(expires_after_s))]
    if echo_key_in_errors:
        args += ["--echo-key-in-errors"]
    if profile is not None:
        args += ["--profile", json.dumps(profile_to_dict(profile))]
    if tls_certfile is not None and tls_keyfile is not None:
        args += ["--tls-certfile", str(Path(tls_certfile).resolve()), "--tls-keyfile", str(Path(tls_keyfile).resolve())]

    env = dict(os.environ)
    env[_API_KEY_ENV] = key  # not on the command line, where `ps` would show it
    env.pop("SORA_EMULATOR_WEBHOOK_SECRET", None)
    if webhook_url is not None:
        args += ["--webhook-url", webhook_url]
        if webhook_secret is not None:
            env["SORA_EMULATOR_WEBHOOK_SECRET"] = webhook_secret
    package_parent = str(Path(__file__).resolve().parents[2])
    env["PYTHONPATH"] = os.pathsep.join(p for p in (package_parent, env.get("PYTHONPATH", "")) if p)
    log_file = open(log_path, "ab")  # noqa: SIM115  # handed to the child process; closed below once it started
    try:
        proc = subprocess.Popen(
            args,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=log_file,
            env=env,
            start_new_session=True,  # a Ctrl-C in the parent's terminal/kernel is not the server's business
            close_fds=True,
        )
    except Exception:
        log_file.close()
        if owns:
            shutil.rmtree(root, ignore_errors=True)
        raise

    lines: queue.Queue[bytes | None] = queue.Queue()

    def pump(stream: IO[bytes]) -> None:
        try:
            for line in iter(stream.readline, b""):
                lines.put(line)
        except (OSError, ValueError):
            pass
        lines.put(None)

    assert proc.stdout is not None
    threading.Thread(target=pump, args=(proc.stdout,), name="sora-emulator-stdout", daemon=True).start()

    base_url = None
    found: dict[str, str] = {}
    deadline = time.monotonic() + startup_timeout
    while base_url is None or (webhook_url is not None and "webhook_secret" not in found):
        remaining = deadline - time.monotonic()
        try:
            line = lines.get(timeout=max(0.05, remaining)) if remaining > 0 else None
        except queue.Empty:
            line = None
        if line is None:
            break
        text = line.decode("utf-8", "replace").strip()
        name, _, value = text.partition(": ")
        found[name] = value.strip()
        if name == "base_url":
            base_url = value.strip()
    if base_url is None:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=10)
        log_file.close()
        tail = log_path.read_text(errors="replace")[-3000:] if log_path.exists() else ""
        if owns:
            shutil.rmtree(root, ignore_errors=True)
        raise EmulatorError(f"the emulator did not start (exit code {proc.returncode}). Its log ends with:\n{tail}")
    handle = EmulatorHandle(proc, base_url, key, root, log_path, owns, log_file)
    handle.webhook_secret = found.get("webhook_secret")
    if tls_certfile is not None:
        handle.verify = ssl.create_default_context(cafile=str(Path(tls_certfile).resolve()))
    return handle
