"""Where our jobs stand on a backend whose status word hides its queue (Veo behind LiteLLM: ``processing`` from
the create to the end, no progress): a first-in-first-out model with a learned number of render slots.

Pure bookkeeping, no I/O, no waiting. The poller feeds it each job's creation (local time) and how long its
kind takes from start to end (this backend's history), and each completion; it answers when a job probably
started and ends. Until a job is found unfinished well past its predicted end, every job is taken to start at
its creation (no queue). The first such job waited for a slot held by one created before it: the slot count
is at most how many were. It then drops by one each time a job overruns the model's prediction, never below the
most of our jobs seen running at once (each completed job ran ``[end - run, end]``). Erring towards more slots
errs towards asking early (a request) rather than late (a late detection).
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass

__all__ = ["HiddenQueue", "overrun_tolerance_s"]


def overrun_tolerance_s(run_s: float) -> float:
    """How far past its predicted end a job may still be running before that says "it waited for a slot"."""
    return max(2.0, 0.15 * run_s)


@dataclass
class _Job:
    created: float
    run_s: float | None
    ended: float | None = None
    overran_from: float | None = None  # the predicted start it was found overrunning
    not_before: float = float(
        "-inf"
    )  # it overran a start: it took a slot no earlier than the next end after it


class HiddenQueue:
    def __init__(self) -> None:
        self._jobs: dict[str, _Job] = {}
        self.slots: int | None = None  # None: no sign of a queue yet

    def add(self, video_id: str, created: float, run_s: float | None) -> None:
        job = self._jobs.get(video_id)
        if job is None:
            self._jobs[video_id] = _Job(created, run_s)
        elif job.run_s is None:
            job.run_s = run_s

    def finished(self, video_id: str, ended: float) -> None:
        job = self._jobs.get(video_id)
        if job is not None:
            job.ended = ended
            if self.slots is not None:
                self.slots = max(self.slots, self._seen_at_once())

    def forget_idle(self) -> None:
        """Nothing of ours is in flight: the next busy period starts afresh (the slot count is kept)."""
        self._jobs.clear()

    def _seen_at_once(self) -> int:
        """The most of our completed jobs whose run windows ``[end - run, end]`` overlap (at least 1)."""
        edges: list[tuple[float, int]] = []
        for job in self._jobs.values():
            if job.ended is not None and job.run_s:
                # each window narrowed by the error of its dates, so that one slot's successive jobs never overlap
                margin = overrun_tolerance_s(job.run_s) / 2
                if job.run_s > 2 * margin:
                    edges += [(job.ended - job.run_s + margin, 1), (job.ended - margin, -1)]
        best = running = 0
        for _t, step in sorted(edges, key=lambda e: (e[0], e[1])):
            running += step
            best = max(best, running)
        return max(1, best)

    def overran(self, video_id: str, start: float) -> bool:
        """A job still runs well past the end predicted from ``start``: it waited, so there are fewer slots than
        thought. Counted once per prediction; True when the model changed."""
        job = self._jobs.get(video_id)
        if job is None or job.overran_from == start:
            return False
        job.overran_from = start
        floor = self._seen_at_once()
        if (
            self.slots is None
        ):  # it waited, so every slot was busy with one created before it: at most that many
            order = sorted(self._jobs, key=lambda vid: self._jobs[vid].created)  # stable: creation order
            ahead = order.index(video_id)
            before, self.slots = None, max(floor, ahead)
        else:
            before, self.slots = self.slots, max(floor, self.slots - 1)
        ends = [
            other.ended for other in self._jobs.values() if other.ended is not None and other.ended > start
        ]
        moved = bool(ends) and min(ends) > job.not_before
        if moved:
            job.not_before = min(ends)
        return self.slots != before or moved

    def start(self, video_id: str, now: float) -> float | None:
        """When this job probably started (first in, first out over our jobs), or None if it is unknown."""
        if video_id not in self._jobs:
            return None
        if self.slots is None:
            return self._jobs[video_id].created
        free = [float("-inf")] * self.slots
        for vid, job in sorted(self._jobs.items(), key=lambda item: item[1].created):
            begin = max(job.created, job.not_before, heapq.heappop(free))
            if vid == video_id:
                return begin
            if job.ended is not None:
                end = job.ended
            elif job.run_s is None:
                end = max(now, begin)  # a job of a kind we have no history of: it holds its slot for now
            else:
                end = max(begin + job.run_s, now)  # still running: its slot is busy at least until now
            heapq.heappush(free, end)
        return None
