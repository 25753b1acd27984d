"""``python -m sora_widgets.emulator``: serve the Videos API on loopback.

Prints ``base_url: http://127.0.0.1:PORT/v1`` and ``api_key: ...`` on stdout once it accepts requests
(the handle returned by :func:`sora_widgets.start_emulator` parses that line), then logs only warnings to
stderr. The API key is ``--api-key``, else ``$SORA_EMULATOR_API_KEY``, else a fresh random one.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import os
import secrets
import shutil
import socket
import sys
import tempfile
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path

from ..profiles import OPENAI_PROFILE, BackendProfile, get_profile
from .dialects import dialect_names, get_dialect

API_KEY_ENV = "SORA_EMULATOR_API_KEY"
WEBHOOK_SECRET_ENV = "SORA_EMULATOR_WEBHOOK_SECRET"


def _rate(text: str) -> float:
    value = float(text)
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"expected a share between 0 and 1, got {text}")
    return value


def _positive(text: str) -> float:
    value = float(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"expected a number > 0, got {text}")
    return value


def load_profile(value: str) -> BackendProfile:
    """``--profile``: a registered name, a JSON object, or a path to a JSON file."""
    from .engine import profile_from_dict

    text = value.strip()
    if text.startswith("{"):
        return profile_from_dict(json.loads(text))
    if text.endswith(".json") and Path(text).exists():
        return profile_from_dict(json.loads(Path(text).read_text()))
    return get_profile(text)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m sora_widgets.emulator",
        description="A local server faithful to OpenAI's Videos API (/v1/videos), with procedural media, "
        "moderation, persistence and seeded fault injection.",
    )
    p.add_argument("--host", default="127.0.0.1", help="interface to bind (default: loopback only)")
    p.add_argument("--port", type=int, default=8000, help="TCP port; 0 picks a free one (default: 8000)")
    p.add_argument("--speed", type=_positive, default=1.0,
                   help="divides every duration (job times, expiry, poll hint); default 1 = a 4 s sora-2 clip in ~10 s")
    p.add_argument("--job-duration-s", type=float, default=None,
                   help="fix every job's in_progress wall-clock length (benchmarks)")
    p.add_argument("--fail-rate", type=_rate, default=0.0,
                   help="share of API requests answered 500/503; for creates half are 'lost creates'")
    p.add_argument("--lost-create-rate", type=_rate, default=None,
                   help="share of creates whose job is made but whose response is a 5xx or dropped connection "
                   "(default: tied to --fail-rate)")
    p.add_argument("--rate-limit-per-minute", type=int, default=None,
                   help="token-bucket request limit; over it: 429 with retry-after and x-ratelimit-* headers")
    p.add_argument("--latency-ms", type=float, default=0.0, help="added latency on every API request")
    p.add_argument("--drop-download-rate", type=_rate, default=0.0,
                   help="share of content downloads whose connection is dropped mid-body")
    p.add_argument("--seed", type=int, default=None, help="seed for the fault injectors (reproducible runs)")
    p.add_argument("--api-key", default=None,
                   help=f"the key clients must send (default: ${API_KEY_ENV}, else a random sk-emulator-...)")
    p.add_argument("--data-dir", default=None,
                   help="where videos and state are kept across restarts (default: a temporary directory, "
                   "removed at exit)")
    p.add_argument("--profile", default=None,
                   help="backend profile: a registered name (openai, ...), a JSON object or a .json file "
                   "(default: the dialect's models; OpenAI's for the openai dialect)")
    p.add_argument("--dialect", default="openai", choices=dialect_names(),
                   help="the carrier or provider accent to speak (default: openai); see the emulator's README")
    p.add_argument("--max-concurrent-renders", type=int, default=2,
                   help="renders at once (each in a worker process); the rest stay queued (default: 2)")
    p.add_argument("--expires-after-s", type=float, default=None,
                   help="seconds from completion until content expires (default: 3600 / speed)")
    p.add_argument("--echo-key-in-errors", action="store_true",
                   help="fault: failed jobs' error messages quote the API key (tests the client's redaction)")
    p.add_argument("--webhook-url", default=None,
                   help="POST signed video.completed / video.failed events here (loopback URLs only)")
    p.add_argument("--webhook-secret", default=None,
                   help=f"whsec_... signing secret (default: ${WEBHOOK_SECRET_ENV}, else a random one, printed)")
    p.add_argument("--tls-certfile", default=None,
                   help="serve HTTPS with this PEM certificate (clients that only speak https, such as fal-client)")
    p.add_argument("--tls-keyfile", default=None, help="the certificate's PEM private key (with --tls-certfile)")
    p.add_argument("--exit-on-stdin-eof", action="store_true",
                   help="stop when stdin closes (used by start_emulator so no server outlives its parent)")
    p.add_argument("--log-level", default="warning", choices=["debug", "info", "warning", "error"])
    return p


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # proto=IPPROTO_TCP matters: asyncio only sets TCP_NODELAY on accepted sockets whose proto says TCP, and
    # without it Nagle + delayed ACKs add ~40 ms to every response (headers and body are two writes)
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind((host, port))
    sock.listen(512)
    sock.set_inheritable(True)
    return sock


def _server_class() -> type:
    import signal

    import uvicorn

    class Server(uvicorn.Server):
        """uvicorn's server, except that SIGTERM/SIGINT end it with a normal exit (uvicorn re-raises the signal
        after its graceful shutdown, which would skip removing a temporary data directory)."""

        @contextlib.contextmanager
        def capture_signals(self) -> Iterator[None]:
            if threading.current_thread() is not threading.main_thread():
                yield
                return
            originals = {sig: signal.signal(sig, self.handle_exit) for sig in (signal.SIGINT, signal.SIGTERM)}
            try:
                yield
            finally:
                for sig, handler in originals.items():
                    signal.signal(sig, handler)

    return Server


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    import uvicorn

    from .app import build_app, install_log_filter
    from .engine import EmulatorConfig, Engine

    logging.basicConfig(level=args.log_level.upper(), stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    api_key = args.api_key or os.environ.get(API_KEY_ENV) or f"sk-emulator-{secrets.token_hex(16)}"
    temp_dir = None
    if args.data_dir is None:
        temp_dir = tempfile.mkdtemp(prefix="sora-emulator-")
        data_dir = Path(temp_dir)
    else:
        data_dir = Path(args.data_dir).expanduser().resolve()
        data_dir.mkdir(parents=True, exist_ok=True)
    try:
        dialect = get_dialect(args.dialect)
        if args.profile is not None:
            profile = load_profile(args.profile)
        else:
            profile = dialect.default_profile() or OPENAI_PROFILE
        profile = dialect.adapt_profile(profile)
        config = EmulatorConfig(
            api_key=api_key,
            data_dir=data_dir,
            speed=args.speed,
            job_duration_s=args.job_duration_s,
            fail_rate=args.fail_rate,
            lost_create_rate=args.lost_create_rate,
            rate_limit_per_minute=args.rate_limit_per_minute,
            latency_ms=args.latency_ms,
            drop_download_rate=args.drop_download_rate,
            seed=args.seed,
            profile=profile,
            dialect=args.dialect,
            max_concurrent_renders=args.max_concurrent_renders,
            expires_after_s=args.expires_after_s,
            echo_key_in_errors=args.echo_key_in_errors,
            webhook_url=args.webhook_url,
            webhook_secret=args.webhook_secret or os.environ.get(WEBHOOK_SECRET_ENV),
        )
        if (args.tls_certfile is None) != (args.tls_keyfile is None):
            raise SystemExit("--tls-certfile and --tls-keyfile go together")
        sock = _bind(args.host, args.port)
        port = sock.getsockname()[1]
        host = f"[{args.host}]" if ":" in args.host else args.host
        scheme = "https" if args.tls_certfile else "http"
        base_url = f"{scheme}://{host}:{port}/v1"
        app = build_app(Engine(config, new_id=dialect.new_id), dialect)

        def ready() -> None:
            print(f"base_url: {base_url}", flush=True)
            print(f"api_key: {api_key}", flush=True)
            print(f"data_dir: {data_dir}", flush=True)
            if config.webhook_url:
                print(f"webhook_url: {config.webhook_url}", flush=True)
                print(f"webhook_secret: {config.webhook_secret}", flush=True)

        app.state.on_ready = ready
        install_log_filter()
        server = _server_class()(uvicorn.Config(app, log_level=args.log_level, access_log=False, lifespan="on",
                                               timeout_graceful_shutdown=3, ssl_certfile=args.tls_certfile,
                                               ssl_keyfile=args.tls_keyfile))
        if args.exit_on_stdin_eof:
            def watch_stdin() -> None:
                try:
                    while sys.stdin.buffer.read(1024):
                        pass
                except (OSError, ValueError):
                    pass
                server.should_exit = True

            threading.Thread(target=watch_stdin, name="stdin-watch", daemon=True).start()
        asyncio.run(server.serve(sockets=[sock]))
        return 0
    except KeyboardInterrupt:
        return 0
    finally:
        if temp_dir is not None:
            shutil.rmtree(temp_dir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
