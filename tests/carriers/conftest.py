"""A real LiteLLM proxy (``litellm --config``) in front of our emulator, for the whole session.

The proxy runs in its own process group on a free loopback port, with a master key and no database, and with
everything that could reach the network turned off (local cost map, no telemetry). It routes ``sora-2`` to
one emulator and ``sora-2-pro`` to a slower one, each as an OpenAI-protocol upstream (``openai/<model>`` +
``api_base``).

The emulators serve those two model names at tiny sizes (:data:`CARRIER_PROFILE`) so that ten jobs at once
cost little CPU; the engine is configured with the same profile.
"""

from __future__ import annotations

import os
import secrets
import time
from collections.abc import Callable, Iterator

import pytest
from carrier_profile import CARRIER_PROFILE
from litellm_proxy import (
    PROXY_START_TIMEOUT_S,
    LiteLLMProxy,
    require_litellm,
    start_litellm,
    write_config,
)


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
    require_litellm()
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
