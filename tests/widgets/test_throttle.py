"""The throttle that keeps engine updates to ~10 per second per widget."""

from __future__ import annotations

import threading

from widget_testing import wait_until

from sora_widgets.widgets._base import Throttle


def test_bursts_coalesce_and_the_last_change_lands():
    runs: list[int] = []
    state = {"value": 0}
    throttle = Throttle(lambda: runs.append(state["value"]), interval_s=0.2)
    for i in range(1, 101):
        state["value"] = i
        throttle.poke()
    # the first poke ran at once; the other 99 joined one scheduled run
    wait_until(lambda: runs and runs[-1] == 100, timeout=5, what="the last value to land")
    assert runs[0] == 1
    assert len(runs) == 2
    throttle.close()


def test_urgent_runs_now_and_close_cancels():
    runs: list[str] = []
    throttle = Throttle(lambda: runs.append(threading.current_thread().name), interval_s=10)
    throttle.poke()
    throttle.poke()  # scheduled 10 s out
    throttle.poke(urgent=True)  # a terminal state does not wait
    assert len(runs) == 2
    throttle.poke()
    throttle.close()  # cancels the scheduled run
    throttle.poke(urgent=True)
    assert len(runs) == 2
