"""A real LiteLLM proxy (``litellm --config``) in front of our emulator, for the whole session.

The proxy runs in its own process group on a free loopback port, with a master key and no database, and with
everything that could reach the network turned off (local cost map, no telemetry). It routes ``sora-2`` to
one emulator and ``sora-2-pro`` to a slower one, each as an OpenAI-protocol upstream (``openai/<model>`` +
``api_base``).

The emulators serve those two model names at tiny sizes (:data:`CARRIER_PROFILE`) so that ten jobs at once
cost little CPU; the engine is configured with the same profile.
"""

from __future__ import annotations

import importlib.metadata
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from carrier_profile import CARRIER_PROFILE

PROXY_START_TIMEOUT_S = float(os.environ.get("SORA_TEST_LITELLM_START_TIMEOUT", "120"))

# Environment of the proxy process: nothing may leave loopback.
_OFFLINE_ENV = {
    "LITELLM_LOCAL_MODEL_COST_MAP": "True",  # the bundled price map, not a download
    "LITELLM_LOCAL_BLOG_POSTS": "True",
    "LITELLM_LOCAL_POLICY_TEMPLATES": "True",
    "LITELLM_LOCAL_AUTOROUTER_PRESETS": "True",
    "LITELLM_LOCAL_ANTHROPIC_BETA_HEADERS": "True",
    "LITELLM_TELEMETRY_DISABLED": "True",
    "NO_DOCS": "True",
    "NO_PROXY": "127.0.0.1,localhost",
}
_PROXY_VARS = ("http_proxy", "https_proxy", "all_proxy", "no_proxy")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def in_ci() -> bool:
    return bool(os.environ.get("CI"))


def litellm_executable() -> Path | None:
    """The ``litellm`` script of this interpreter's environment (the test extra installs it)."""
    candidate = Path(sys.executable).parent / "litellm"
    return candidate if candidate.exists() else None


@dataclass
class LiteLLMProxy:
    """A running ``litellm --config`` process."""

    process: subprocess.Popen[bytes]
    root_url: str  # http://127.0.0.1:PORT
    master_key: str
    config_path: Path
    log_path: Path
    startup_s: float
    version: str

    @property
    def base_url(self) -> str:
        return f"{self.root_url}/v1"

    def log_tail(self, n: int = 40) -> str:
        try:
            lines = self.log_path.read_text(errors="replace").splitlines()
        except OSError:
            return ""
        return "\n".join(lines[-n:])

    def stop(self) -> None:
        if self.process.poll() is not None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)


def write_config(path: Path, routes: dict[str, tuple[str, str]], master_key: str) -> None:
    """The recipe from docs/carriers.md: each model an OpenAI-protocol deployment (``openai/<model>`` at
    ``api_base`` with the upstream's key). ``routes``: model name -> (upstream base URL, upstream key)."""
    models = "".join(
        f"""  - model_name: {name}
    litellm_params:
      model: openai/{name}
      api_base: {base_url}
      api_key: {key}
"""
        for name, (base_url, key) in routes.items()
    )
    path.write_text(f"model_list:\n{models}general_settings:\n  master_key: {master_key}\n")


def start_litellm(config_path: Path, master_key: str, log_path: Path, *, timeout: float) -> LiteLLMProxy:
    exe = litellm_executable()
    assert exe is not None, "litellm is not installed in this environment"
    port = free_port()
    # An id the proxy cannot decode is sent to the provider's default host (api.openai.com, hard-coded): route
    # every non-loopback request through a closed loopback port, so that it fails at once and offline (with a
    # proxy set the host name is not even looked up). The proxy's HTTP transport honours these variables.
    dead_proxy = f"http://127.0.0.1:{free_port()}"
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("OPENAI_", "LITELLM_", "AZURE_")) and k.lower() not in _PROXY_VARS}
    env.update(_OFFLINE_ENV, HTTP_PROXY=dead_proxy, HTTPS_PROXY=dead_proxy, ALL_PROXY=dead_proxy)
    log = log_path.open("wb")
    started = time.monotonic()
    proc = subprocess.Popen(
        [str(exe), "--config", str(config_path), "--host", "127.0.0.1", "--port", str(port), "--num_workers", "1"],
        stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True,
        cwd=str(config_path.parent),
    )
    log.close()
    root = f"http://127.0.0.1:{port}"
    handle = LiteLLMProxy(proc, root, master_key, config_path, log_path, 0.0, "")
    deadline = started + timeout
    try:
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"litellm exited with {proc.returncode} while starting:\n{handle.log_tail()}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"litellm not ready within {timeout:.0f}s:\n{handle.log_tail()}")
            try:
                resp = httpx.get(f"{root}/health/readiness", timeout=2.0)
                if resp.status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.1)  # polling interval of a wait with a deadline
    except BaseException:
        handle.stop()
        raise
    handle.startup_s = time.monotonic() - started
    handle.version = importlib.metadata.version("litellm")
    return handle


@pytest.fixture(scope="session")
def upstream(tmp_path_factory):
    """The emulator behind ``sora-2`` (its own instance: its request counts are this folder's alone)."""
    from sora_widgets import start_emulator

    speed = float(os.environ.get("SORA_TEST_SPEED", "40"))
    with start_emulator(speed=speed, seed=4242, profile=CARRIER_PROFILE,
                        data_dir=tmp_path_factory.mktemp("carrier-upstream")) as emu:
        yield emu


@pytest.fixture(scope="session")
def slow_upstream(tmp_path_factory):
    """The emulator behind ``sora-2-pro``: every job is in progress for 3 s, long enough to kill a process in
    the middle of it."""
    from sora_widgets import start_emulator

    with start_emulator(job_duration_s=3.0, max_concurrent_renders=4, seed=4343, profile=CARRIER_PROFILE,
                        data_dir=tmp_path_factory.mktemp("carrier-slow-upstream")) as emu:
        yield emu


@pytest.fixture(scope="session")
def litellm_proxy(upstream, slow_upstream, tmp_path_factory) -> Iterator[LiteLLMProxy]:
    """A real LiteLLM proxy: ``sora-2`` to :func:`upstream`, ``sora-2-pro`` to :func:`slow_upstream`.

    litellm not installed: a skip locally, a failure in CI. A proxy that does not start: always a failure."""
    if litellm_executable() is None:
        message = "litellm[proxy] is not installed (pip install -e '.[test]')"
        if in_ci():
            pytest.fail(message)
        pytest.skip(message)
    folder = tmp_path_factory.mktemp("litellm")
    master_key = f"sk-master-{secrets.token_hex(8)}"
    config = folder / "config.yaml"
    routes = {"sora-2": (upstream.base_url, upstream.api_key),
              "sora-2-pro": (slow_upstream.base_url, slow_upstream.api_key)}
    write_config(config, routes, master_key)
    proxy = start_litellm(config, master_key, folder / "litellm.log", timeout=PROXY_START_TIMEOUT_S)
    try:
        yield proxy
    finally:
        proxy.stop()


@pytest.fixture()
def proxy_sdk(litellm_proxy):
    """The official synchronous SDK pointed at the proxy with the master key."""
    import openai

    client = openai.OpenAI(base_url=litellm_proxy.base_url, api_key=litellm_proxy.master_key, max_retries=0,
                           timeout=30.0)
    yield client
    client.close()


def wait_until(predicate: Callable[[], object], timeout: float = 30.0, interval: float = 0.05) -> None:
    """Wait for ``predicate()`` to be true (a condition with a deadline, not a sleep)."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout}s")
        time.sleep(interval)


@pytest.fixture()
def clean_engine():
    """``sw.api.reset()`` before and after a test, so engine state never leaks between tests."""
    from sora_widgets import api

    api.reset()
    yield
    api.reset()


@pytest.fixture()
def through_litellm(litellm_proxy, clean_engine, tmp_path):
    """The engine pointed at the proxy with the master key (public API only), journal in a fresh home."""
    import sora_widgets as sw

    sw.configure(base_url=litellm_proxy.base_url, api_key=litellm_proxy.master_key, home=tmp_path / "home",
                 profile=CARRIER_PROFILE)
    return sw
