"""The render workers: a pool of ``max_concurrent_renders`` processes at ``nice 10`` that die with the server.

A render cannot be interrupted once a worker runs it; a job deleted meanwhile has its output removed when the
render ends (``keep`` says whether a job still exists).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import shutil
import sys
from collections.abc import Callable
from concurrent.futures import Executor, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any

log = logging.getLogger("sora_widgets.emulator")

__all__ = ["RenderPool"]


def _worker_init() -> None:  # pragma: no cover - runs in the render processes
    # renders yield to the server process, and die with it
    with contextlib.suppress(Exception):
        os.nice(10)
    if sys.platform.startswith("linux"):
        with contextlib.suppress(Exception):
            import ctypes
            import signal

            ctypes.CDLL("libc.so.6").prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    from . import render  # noqa: F401  (warm the imports)


def _render_in_worker(spec: dict[str, Any]) -> dict[str, Any]:  # pragma: no cover - worker process
    from .render import render_job

    return render_job(spec)


def _warm() -> int:  # pragma: no cover - worker process
    return os.getpid()


class RenderPool:
    """Runs :func:`.render.render_job` in worker processes (spawned, so the server's threads are not forked)."""

    def __init__(self, workers: int, keep: Callable[[str], bool]) -> None:
        self.workers = workers
        self.keep = keep
        self._pool: Executor | None = None

    def start(self) -> None:
        self._pool = self._new_pool()
        # start the workers now (without waiting for them), so the first render does not pay for their imports
        for _ in range(self.workers):
            self._pool.submit(_warm)

    def _new_pool(self) -> Executor:
        import multiprocessing

        return ProcessPoolExecutor(
            max_workers=self.workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_worker_init,
        )

    def shutdown(self) -> None:
        if self._pool is None:
            return
        processes = list(getattr(self._pool, "_processes", {}).values())
        self._pool.shutdown(wait=False, cancel_futures=True)
        for proc in processes:
            with contextlib.suppress(Exception):
                proc.terminate()
        for proc in processes:
            with contextlib.suppress(Exception):
                proc.join(timeout=5)
        self._pool = None

    async def render(self, spec: dict[str, Any]) -> dict[str, Any]:
        try:
            return await self._submit(spec)
        except BrokenProcessPool:
            log.warning("render pool broke; starting a new one")
            self._pool = self._new_pool()
            return await self._submit(spec)

    async def _submit(self, spec: dict[str, Any]) -> dict[str, Any]:
        assert self._pool is not None
        future = self._pool.submit(_render_in_worker, spec)
        try:
            return await asyncio.wrap_future(future)
        except asyncio.CancelledError:
            # the job was deleted (or the server is stopping) while its render runs in a worker: the render
            # cannot be interrupted, so clean its output up once it is done
            if future.cancel():  # still waiting for a worker: it will not run at all
                raise
            out_dir = spec["out_dir"]
            video_id = Path(out_dir).name

            def cleanup(_f: Any) -> None:
                if not self.keep(video_id):
                    shutil.rmtree(out_dir, ignore_errors=True)

            future.add_done_callback(cleanup)
            raise
