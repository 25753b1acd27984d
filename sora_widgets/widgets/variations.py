"""``vs = sw.variations(prompt, n=4)``: the takes as a grid widget, with the cost so far and the cost of promoting.

The widget is also the sequence of takes (``vs[2]`` is a :class:`~sora_widgets.job.VideoJob`, ``len(vs)``, ``for
job in vs``) and reads through to :class:`~sora_widgets.takes.Variations` (``vs.wait()``, ``vs.promoted()``,
``vs.cost_so_far()``). Each take has a "Promote take N" button (the ``promote`` command ``{job_id, model,
seconds}``): the promoted job joins the grid's "Final" row and shows its lineage (``promoted_from``).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, ClassVar

import traitlets as t

from ..errors import SoraWidgetsError
from ..job import VideoJob
from ..takes import Variations
from ._collection import JobCollection

__all__ = ["VariationsGrid", "variations"]


class VariationsGrid(JobCollection):
    """The takes of :func:`sora_widgets.variations` and what was promoted from them."""

    _view = t.Unicode("variations").tag(sync=True)
    _init_kwargs: ClassVar[tuple[str, ...]] = ("promote_model", "promote_seconds")
    _commands: ClassVar[dict[str, str]] = {**JobCollection._commands, "promote": "_cmd_promote"}

    take_ids = t.List(t.Unicode()).tag(sync=True)
    """The takes' job ids, in take order (``items`` also holds the promoted jobs)."""
    spent_usd = t.Float(0.0).tag(sync=True)
    """USD of the takes and of the jobs promoted from them (estimates)."""
    promote_model = t.Unicode("").tag(sync=True)
    promote_seconds = t.Unicode("").tag(sync=True)
    """The promote choices shown first (the browser sends its choice with the ``promote`` command)."""
    promote_prices = t.Dict().tag(sync=True)
    """``{model: {seconds: USD or None}}`` of promoting one take (at the takes' size), for every choice."""

    def __init__(self, takes: Variations, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.variations = takes
        self._refresh_backend()
        profile = self._profile()
        first = takes[0]
        pro = "sora-2-pro" if "sora-2-pro" in profile.model_names else first.model
        with self.hold_sync():
            self.take_ids = [job.id for job in takes]
            self.promote_prices = self._prices(profile)
            if not self.promote_model:
                self.promote_model = pro
            if not self.promote_seconds:
                self.promote_seconds = first.seconds
        self._track([*reversed(list(takes)), *takes.promoted()])

    def _profile(self) -> Any:
        from ._summary import backend_state

        return backend_state()[0]

    # the sequence of takes
    def __getitem__(self, index: int) -> VideoJob:
        return self.variations[index]

    def __len__(self) -> int:
        return len(self.variations)

    def __iter__(self) -> Iterator[VideoJob]:
        return iter(self.variations)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_") or "variations" not in self.__dict__:
            raise AttributeError(name)
        return getattr(self.__dict__["variations"], name)

    def __repr__(self) -> str:
        return repr(self.variations).replace("<Variations", "<VariationsGrid", 1)

    def _prices(self, profile: Any) -> dict[str, dict[str, float | None]]:
        size = self.variations[0].size
        prices: dict[str, dict[str, float | None]] = {}
        for spec in profile.models:
            if size in spec.sizes:  # a promotion keeps the take's size
                prices[spec.name] = {sec: self.variations.promote_cost(spec.name, size, sec) for sec in spec.seconds}
        return prices

    def _after_flush(self, changed: dict[str, VideoJob]) -> None:
        self.spent_usd = round(sum(job.cost_usd or 0.0 for job in self.jobs), 6)

    def _cmd_promote(self, args: dict[str, Any], buffers: list[Any]) -> Any:
        """``{job_id, model?, seconds?}`` -> ``{job_id}`` of the promoted job (shown in the Final row)."""
        job = self._job_for(args.get("job_id"))
        if job.id not in self.take_ids:
            raise SoraWidgetsError(f"{job.id} is not a take of this grid; promote a take")
        model = args.get("model") or self.promote_model or None
        seconds = args.get("seconds") or self.promote_seconds or None
        final = job.promote(model=model, seconds=seconds)
        self._adopt(final)
        return {"job_id": final.id}, []


def variations(prompt: str | list[str], n: int | None = None, **kwargs: Any) -> VariationsGrid:
    """Start takes of ``prompt`` and return their grid; see :func:`sora_widgets.takes.variations` for the
    arguments (``n``, ``model``, ``size``, ``seconds``, ``input_reference``, ``seed``)."""
    from ..takes import variations as start

    return VariationsGrid(start(prompt, n, **kwargs))
