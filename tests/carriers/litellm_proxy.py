"""A real LiteLLM proxy (``litellm --config``) as a process: its config, start with a deadline, stop. Shared by
tests/carriers (its session fixture) and the browser test of the panel through the proxy (tests/ui)."""

from __future__ import annotations

import importlib.metadata
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

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


def require_litellm() -> None:
    """litellm[proxy] not installed: a skip locally, a failure in CI (where it must be)."""
    import pytest

    if litellm_executable() is None:
        message = "litellm[proxy] is not installed (pip install -e '.[test]')"
        if in_ci():
            pytest.fail(message)
        pytest.skip(message)


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
