"""``sw.GeneratorPanel()``: write a prompt, pick model/size/seconds from the backend profile, generate.

Each Generate adds a card at the top of the panel's card list; many jobs run at once on the engine thread, and
their progress keeps flowing while other cells run. The form's choices come from the backend profile, the cost
from ``sw.estimate_cost``, the budget from ``sw.budget_remaining``.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any, ClassVar

import traitlets as t

from ..errors import SoraWidgetsError
from ..profiles import BackendProfile
from ..vocab import MAX_REFERENCE_BYTES
from ._base import Reply, command, in_background, profile_object
from ._collection import JobCollection
from ._commands import JobCommands
from .coach import coach_rules

if TYPE_CHECKING:
    from ..job import VideoJob

__all__ = ["GeneratorPanel", "cost_table", "profile_state"]



def profile_state(profile: BackendProfile) -> dict[str, Any]:
    """The parts of a profile the form needs (JSON-safe)."""
    return {
        "name": profile.name,
        "default_model": profile.default_model,
        "features": sorted(profile.features),
        "models": [
            {"name": m.name, "label": m.label, "sizes": list(m.sizes), "seconds": list(m.seconds)}
            for m in profile.models
        ],
    }


def cost_table(profile: BackendProfile) -> dict[str, float]:
    """``{"model|size|seconds": usd}`` for every choice the form offers (from ``sw.estimate_cost``)."""
    import sora_widgets as sw

    table: dict[str, float] = {}
    for spec in profile.models:
        for size in spec.sizes:
            for seconds in spec.seconds:
                cost = sw.estimate_cost(model=spec.name, size=size, seconds=seconds)
                if cost is not None:
                    table[f"{spec.name}|{size}|{seconds}"] = round(float(cost), 6)
    return table


class GeneratorPanel(JobCollection):
    """A form that generates videos, with a live card per job.

    Parameters
    ----------
    prompt, model, size, seconds
        Initial form values (defaults: empty prompt and the backend profile's defaults).
    layout
        Optional ipywidgets layout.

    Examples
    --------
    >>> sw.GeneratorPanel(prompt="Slow tracking shot of a lighthouse at dusk")  # doctest: +SKIP
    """

    _view = t.Unicode("panel").tag(sync=True)
    _init_kwargs: ClassVar[tuple[str, ...]] = ("prompt", "model", "size", "seconds")
    _commands: ClassVar[dict[str, str]] = {**JobCommands._commands, "submit": "_cmd_submit"}

    prompt = t.Unicode("").tag(sync=True)
    """Text of the prompt field. Setting it fills the form; typing in the browser does not write it back."""
    model = t.Unicode("").tag(sync=True)
    """Model selected when the form renders ("" = the profile's default)."""
    size = t.Unicode("").tag(sync=True)
    """Size selected when the form renders ("" = the model's default)."""
    seconds = t.Unicode("").tag(sync=True)
    """Duration selected when the form renders ("" = the model's default)."""

    backend_label = t.Unicode("", read_only=True).tag(sync=True)
    """The backend's name: "local emulator" or the base URL's host."""
    backend_is_emulator = t.Bool(False, read_only=True).tag(sync=True)
    """True when the backend is the local emulator."""
    budget_remaining_usd = t.Float(None, allow_none=True, read_only=True).tag(sync=True)
    """USD left of ``sw.configure(budget_usd=...)``, None without a budget."""
    spend_usd = t.Float(0.0, read_only=True).tag(sync=True)
    """USD committed on this backend so far (estimates)."""

    _profile = t.Dict().tag(sync=True)
    _costs = t.Dict().tag(sync=True)
    _coach = t.Dict().tag(sync=True)

    def __init__(self, **kwargs: Any) -> None:
        if (
            "seconds" in kwargs
            and isinstance(kwargs["seconds"], (int, float))
            and not isinstance(kwargs["seconds"], bool)
        ):
            kwargs["seconds"] = (
                str(int(kwargs["seconds"]))
                if float(kwargs["seconds"]).is_integer()
                else str(kwargs["seconds"])
            )
        super().__init__(**kwargs)
        self._profile_obj: BackendProfile | None = None
        self._coach = coach_rules()
        self.refresh()

    # ------------------------------------------------------------------ public

    def refresh(self) -> None:
        """Re-read the backend (profile, prices, budget), e.g. after ``sw.configure(...)`` (the cards' jobs keep
        updating by themselves: they are the same objects whatever the configuration)."""
        import sora_widgets as sw

        info = sw.backend_info()
        profile = profile_object(info)
        self._profile_obj = profile
        self._follow_backend(force=True)
        with self.hold_sync():
            self.set_trait("backend_label", str(info.get("label") or ""))
            self.set_trait("backend_is_emulator", bool(info.get("is_emulator")))
            self._profile = profile_state(profile)
            self._costs = cost_table(profile)
            self._check_choice()
        self._refresh_budget()

    # ------------------------------------------------------------------ internals

    def _fallback_bundle(self) -> dict[str, str]:
        from .fallback import collection_bundle

        return collection_bundle("GeneratorPanel", self.jobs)

    @t.observe("model", "size", "seconds")
    def _on_choice(self, change: dict[str, Any]) -> None:
        if getattr(self, "_profile_obj", None) is not None:
            self._check_choice()

    def _check_choice(self) -> None:
        """A wrong initial model/size/seconds fails here, naming what the profile allows."""
        profile = self._profile_obj
        if profile is None or not self.model:
            spec = profile.models[0] if profile else None
        else:
            spec = profile.find_model(self.model)
            if spec is None:
                raise t.TraitError(
                    f"model {self.model!r} is not offered; allowed: {', '.join(profile.model_names)}"
                )
        if spec is None:
            return
        if self.size and self.size not in spec.sizes:
            raise t.TraitError(
                f"size {self.size!r} is not available for {spec.name}; allowed: {', '.join(spec.sizes)}"
            )
        if self.seconds and self.seconds not in spec.seconds:
            raise t.TraitError(
                f"seconds {self.seconds!r} is not available for {spec.name}; allowed: {', '.join(spec.seconds)}"
            )

    def _refresh_budget(self) -> None:
        import sora_widgets as sw

        try:
            remaining = sw.budget_remaining()
            spent = sw.spend()
        except Exception as exc:
            self._report(exc, "reading the budget")
            return
        with self.hold_sync():
            self.set_trait("budget_remaining_usd", None if remaining is None else float(remaining))
            self.set_trait("spend_usd", float(spent))

    def _after_flush(self, changed: dict[str, VideoJob]) -> None:
        if any(job.done or job.status in ("completed", "failed", "deleted") for job in changed.values()):
            # This runs on the engine thread. sw.spend()/budget_remaining() take the api lock, which
            # sw.configure()/reset() hold while they join the engine thread: ask from another thread.
            threading.Thread(target=self._refresh_budget, name="sora-panel-budget", daemon=True).start()

    @command
    def _cmd_submit(self, args: dict[str, Any], buffers: list[Any]) -> Any:
        """Checked here (a missing prompt, an oversized image answer at once); ``sw.submit`` (validation,
        journal, maybe building the engine) runs on a worker thread, so the shell thread stays free."""
        prompt = args.get("prompt")
        if not isinstance(prompt, str) or not prompt.strip():
            raise SoraWidgetsError(
                "Write a prompt first: describe the shot, subject, action, setting and lighting."
            )
        reference = None
        if buffers:
            reference = bytes(buffers[0])
            if len(reference) > MAX_REFERENCE_BYTES:
                raise SoraWidgetsError(
                    f"the reference image is {len(reference)} bytes; at most 20 MiB allowed"
                )
        return in_background(lambda: self._submit(prompt, args, reference))

    def _submit(self, prompt: str, args: dict[str, Any], reference: bytes | None) -> Reply:
        import sora_widgets as sw

        job = sw.submit(
            prompt,
            model=args.get("model") or None,
            size=args.get("size") or None,
            seconds=args.get("seconds") or None,
            input_reference=reference,
        )
        self._follow_backend()  # the first submit after sw.configure(): other cards' actions may change
        self._track([job])
        self._refresh_budget()
        return {"job_id": job.id, "status": job.status}, []
