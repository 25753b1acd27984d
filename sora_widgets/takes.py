"""Variations and draft -> final: several takes of a prompt (or one take of each of several prompts), cheap, then
the chosen one rendered again for real::

    vs = sw.variations("A paper boat on a pond at sunset", n=4, model="sora-2", seconds="4")
    vs                                  # sw.variations returns the grid widget (widgets/variations.py)
    final = vs[2].promote(model="sora-2-pro", seconds="8")    # final.promoted_from == vs[2].id
    sw.variations(["a paper boat", "a paper plane", "a paper crane"])  # one take per prompt

Takes must differ. Take ``i`` of a prompt gets the seed ``seed + i``: sent where the backend takes one (the
emulator renders another take by it; profiles with the ``seed`` feature), and part of the cache key everywhere,
so the cache never collapses takes into one (real backends differ by themselves). The same call again returns
the same takes (the cache: nothing is paid twice). Everything is checked, and the whole batch's cost held
against the budget, before the first request.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, overload

from .errors import BudgetExceededError, ValidationError
from .job import VideoJob

__all__ = ["MAX_TAKES", "Variations", "variations"]

MAX_TAKES = 16  # per prompt: a grid, not a batch job


class Variations(Sequence[VideoJob]):
    """The takes, in order (``vs[i]`` is a :class:`VideoJob`). ``sw.variations`` wraps them in a grid widget."""

    def __init__(self, takes: list[VideoJob]) -> None:
        self._takes = takes

    @overload
    def __getitem__(self, index: int) -> VideoJob: ...
    @overload
    def __getitem__(self, index: slice) -> list[VideoJob]: ...
    def __getitem__(self, index: int | slice) -> VideoJob | list[VideoJob]:
        return self._takes[index]

    def __len__(self) -> int:
        return len(self._takes)

    def __iter__(self) -> Iterator[VideoJob]:
        return iter(self._takes)

    def __repr__(self) -> str:
        done = sum(job.status == "completed" for job in self._takes)
        return f"<Variations {len(self._takes)} takes, {done} completed, ${self.cost_so_far():.2f}>"

    @property
    def jobs(self) -> list[VideoJob]:
        return list(self._takes)

    def wait(self, timeout: float | None = None) -> Variations:
        """Block until every take is done (failed ones too: see each ``job.error``); returns self."""
        for job in self._takes:
            job.wait(timeout)
        return self

    def promoted(self) -> list[VideoJob]:
        """Jobs promoted from these takes (any process), oldest first."""
        import sora_widgets as sw

        ids = {job.id for job in self._takes}
        return [job for job in sw.jobs() if job.promoted_from in ids]

    def cost_so_far(self) -> float:
        """USD of the takes and of what was promoted from them (estimates; unknown prices count 0)."""
        return round(sum(job.cost_usd or 0.0 for job in [*self._takes, *self.promoted()]), 6)

    def promote_cost(self, model: str | None = None, size: str | None = None,
                     seconds: int | str | None = None) -> float | None:
        """USD of promoting one take with these parameters (default: the takes' own); None without a price."""
        import sora_widgets as sw

        first = self._takes[0]
        cost: float | None = sw.estimate_cost(model or first.model, size or first.size, seconds or first.seconds)
        return cost


def _prompts(prompt: Any, n: int | None) -> list[tuple[str, int | None]]:
    """(prompt, take index) pairs; the index is None for a single take of a prompt (no seed needed)."""
    if isinstance(prompt, str):
        prompts, takes = [prompt], 4 if n is None else n
    elif isinstance(prompt, (list, tuple)) and prompt:
        prompts, takes = list(prompt), 1 if n is None else n
    else:
        raise ValidationError("prompt must be text, or a non-empty list of prompts (one take of each)", "prompt")
    if isinstance(takes, bool) or not isinstance(takes, int) or not 1 <= takes <= MAX_TAKES:
        raise ValidationError(f"n must be a whole number of takes from 1 to {MAX_TAKES}, got {takes!r}", "n")
    return [(p, i if takes > 1 else None) for p in prompts for i in range(takes)]


def variations(prompt: str | list[str], n: int | None = None, *, model: str | None = None, size: str | None = None,
               seconds: int | str | None = None, input_reference: Any = None, seed: int = 1) -> Variations:
    """Start ``n`` takes of ``prompt`` (default 4), or one take of each prompt of a list (``n`` each when given),
    and return them at once as :class:`Variations`.

    ``model``/``size``/``seconds``/``input_reference``: as for ``sw.submit``, the same for every take.
    ``seed``: take ``i`` of a prompt uses ``seed + i``. Raises ValidationError / BudgetExceededError before any
    request when an argument is wrong or the whole batch would exceed the budget.
    """
    import sora_widgets as sw

    from .params import validate

    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed <= 2**32 - 1 - MAX_TAKES:
        raise ValidationError(f"seed must be a whole number from 0 to {2**32 - 1 - MAX_TAKES}, got {seed!r}", "seed")
    pairs = _prompts(prompt, n)
    profile = sw.backend_info()["profile_object"]
    for text, _ in pairs:  # every prompt checked before the first request
        validate(profile, text, model=model, size=size, seconds=seconds)
    cost, left = sw.estimate_cost(model, size, seconds), sw.budget_remaining()
    if cost is not None and left is not None and cost * len(pairs) > left + 1e-9:
        raise BudgetExceededError(f"{len(pairs)} takes cost about ${cost * len(pairs):.2f}; the budget has ${left:.2f} "
                                  "left (fewer takes, a cheaper model, or sw.configure(budget_usd=...))")
    takes = [sw.submit(text, model=model, size=size, seconds=seconds, input_reference=input_reference,
                       seed=None if index is None else seed + index) for text, index in pairs]
    return Variations(takes)
