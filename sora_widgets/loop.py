"""The engine's event loop in its own daemon thread (``sora-engine``), and a clean way to stop it.

Sync callers hand coroutines over with ``run_coroutine_threadsafe``; async callers wrap the resulting futures,
so a notebook kernel's own loop is never blocked or nested (no nest_asyncio). Every task the engine starts is
kept in a set until it ends (the loop holds only weak references to tasks).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import concurrent.futures.thread
import inspect
import logging
import sys
import threading
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from .errors import BackendUnavailableError

__all__ = ["LoopThread", "at_exit", "interpreter_exiting"]

log = logging.getLogger(__name__)
T = TypeVar("T")

_exit_hooks: list[Callable[[], None]] = []


def interpreter_exiting() -> bool:
    """True once the interpreter began to shut down (the main thread ended or ``sys.exit`` ran)."""
    return bool(getattr(threading, "_SHUTTING_DOWN", False)) or sys.is_finalizing()


def at_exit(hook: Callable[[], None]) -> None:
    """Run ``hook`` when the main thread ends, *before* thread pools and ``atexit`` shut down.

    A script that submits and exits would otherwise have its create cut off: once the interpreter shuts down,
    ``concurrent.futures`` refuses new work (DNS lookups run there) and the create died as a ``failed`` job.
    The hook runs while the engine thread still works, so in-flight creates can finish first."""
    _exit_hooks.append(hook)


def _run_exit_hooks() -> None:
    for hook in list(_exit_hooks):
        try:
            hook()
        except Exception:
            log.debug("exit hook failed", exc_info=True)


# Registered after concurrent.futures.thread: threading runs these in reverse, so ours runs first, while
# executors still accept work. CPython-internal but stable since 3.9 (concurrent.futures relies on it).
_register = getattr(threading, "_register_atexit", None)
if _register is not None:
    _register(_run_exit_hooks)
else:  # pragma: no cover - other interpreters
    import atexit

    atexit.register(_run_exit_hooks)


class LoopThread:
    """One asyncio loop in one daemon thread, started on first use, torn down by :meth:`close`."""

    def __init__(self, name: str = "sora-engine") -> None:
        self._name = name
        self._lock = threading.RLock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self._closed = False
        self._closing = False

    @property
    def thread(self) -> threading.Thread | None:
        """The loop's thread, once started."""
        return self._thread

    @property
    def closed(self) -> bool:
        """True once closed (or marked closed): no new work is accepted."""
        return self._closed

    def loop(self) -> asyncio.AbstractEventLoop:
        """The loop, starting its daemon thread on first use."""
        with self._lock:
            if self._closed:
                raise BackendUnavailableError("this engine was shut down (sw.configure() or sw.api.reset() ran)")
            if self._loop is None:
                loop = asyncio.new_event_loop()
                ready = threading.Event()

                def run() -> None:
                    asyncio.set_event_loop(loop)
                    loop.call_soon(ready.set)
                    try:
                        loop.run_forever()
                    finally:
                        _finish_loop(loop)

                self._thread = threading.Thread(target=run, name=self._name, daemon=True)
                self._thread.start()
                ready.wait()
                self._loop = loop
            return self._loop

    def spawn(self, coro: Coroutine[Any, Any, T]) -> concurrent.futures.Future[T]:
        """Run ``coro`` on the loop (from any thread); its future."""
        try:
            loop = self.loop()
        except BaseException:
            coro.close()
            raise
        return asyncio.run_coroutine_threadsafe(self._kept(coro), loop)

    async def _kept(self, coro: Coroutine[Any, Any, T]) -> T:
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
        try:
            return await coro
        finally:
            if task is not None:
                self._tasks.discard(task)

    def start_task(self, coro: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
        """On the loop thread: a task kept referenced until it ends."""
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    def run(self, coro: Coroutine[Any, Any, T], timeout: float | None = None) -> T:
        """Run ``coro`` on the loop and wait for it (from any other thread)."""
        if self._thread is not None and threading.current_thread() is self._thread:
            coro.close()
            raise RuntimeError("run() called from the engine thread; await the coroutine instead")
        return self.spawn(coro).result(timeout)

    def mark_closed(self) -> None:
        """Closed from now on (no new work); :meth:`close` still tears it down."""
        with self._lock:
            self._closed = True

    async def _shutdown(self) -> None:
        """Hook: the first step of :meth:`close`, on the loop (stop pollers, close clients)."""

    def close(self) -> None:
        """Run :meth:`_shutdown` on the loop, cancel every task and stop the thread.

        From the loop's own thread (a callback that reconfigures) the teardown runs on a helper thread, so the
        thread never waits for itself."""
        with self._lock:
            self._closed = True
            if self._closing:
                return
            self._closing = True
            thread = self._thread
        if thread is not None and threading.current_thread() is thread:
            threading.Thread(target=self._teardown, name=f"{self._name}-close", daemon=True).start()
            return
        self._teardown()

    def _teardown(self) -> None:
        loop, thread = self._loop, self._thread
        if loop is not None and thread is not None and thread.is_alive():
            async def stop() -> None:
                await self._shutdown()
                await _cancel_all_but_current()

            try:
                asyncio.run_coroutine_threadsafe(stop(), loop).result(10)
            except Exception:
                log.debug("engine shutdown incomplete", exc_info=True)
            loop.call_soon_threadsafe(loop.stop)
            thread.join(10)  # the thread closes its loop itself (_finish_loop)


async def _cancel_all_but_current(rounds: int = 20) -> None:
    """Cancel every other task on this loop and wait for them, again for any a cancelled task started.

    A task is cancelled only once it has taken its first step: anyio wraps the coroutines it spawns (httpx's
    connect runs happy-eyeballs ``try_connect`` tasks), and a wrapper cancelled before it starts never awaits the
    coroutine inside, which then warns "never awaited". anyio's own cancel scopes skip unstarted tasks the same way.
    """
    for _ in range(rounds):
        tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        if not tasks:
            return
        started = [t for t in tasks if not _unstarted(t)]
        for task in started:
            task.cancel()
        if started:
            await asyncio.gather(*started, return_exceptions=True)
        else:
            await asyncio.sleep(0)  # one loop turn: the new tasks take their first step


def _unstarted(task: asyncio.Task[Any]) -> bool:
    coro = task.get_coro()
    return inspect.iscoroutine(coro) and inspect.getcoroutinestate(coro) == inspect.CORO_CREATED


def _finish_loop(loop: asyncio.AbstractEventLoop) -> None:
    """On the loop thread once ``run_forever`` returns: step whatever is left to its end, then close the loop
    (what ``asyncio.run`` does on exit), so no coroutine is left un-awaited."""
    try:
        loop.run_until_complete(_cancel_all_but_current())
        loop.run_until_complete(loop.shutdown_asyncgens())
    except Exception:
        log.debug("engine loop did not finish cleanly", exc_info=True)
    finally:
        loop.close()
