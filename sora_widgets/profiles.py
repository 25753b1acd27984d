"""Backend profiles: which models, sizes, seconds, prices and features a Videos API backend has.

The protocol is OpenAI's ``/v1/videos``, but many backends speak it (LiteLLM's proxy, gateways, vLLM-Omni,
the local emulator), each with its own models and limits. Nothing else in the package hard-codes Sora's
numbers: validation, the cost estimate and the widgets' dropdowns all read them from a profile.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace

__all__ = [
    "DEFAULT_PROFILE",
    "FEATURES",
    "LITELLM_PROFILE",
    "LITELLM_VEO_PROFILE",
    "OPENAI_PROFILE",
    "SGLANG_PROFILE",
    "SPEC_FEATURES",
    "VLLM_OMNI_PROFILE",
    "BackendProfile",
    "ModelSpec",
    "get_profile",
    "profile_names",
    "register_profile",
]

#: Everything a backend may or may not support. ``variants`` means thumbnail and spritesheet downloads;
#: ``progress`` means the backend reports a rising ``progress`` field; ``seed`` that the create takes an optional
#: integer ``seed`` (another take of the same inputs; not in OpenAI's spec, so not in :data:`SPEC_FEATURES`).
FEATURES = frozenset({"remix", "list", "delete", "variants", "progress", "edits", "extensions", "seed"})
SPEC_FEATURES = FEATURES - {"seed"}

_SNAPSHOT = re.compile(r"^(?P<base>.+)-\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True)
class ModelSpec:
    """One model of a backend.

    Parameters
    ----------
    name
        The model string sent on the wire.
    sizes
        Allowed ``WIDTHxHEIGHT`` sizes, the first one is the default.
    seconds
        Allowed durations as strings (the protocol sends them as strings), the first one is the default.
    price_per_second
        USD per second of video, by size; the key ``"*"`` applies to sizes not listed.
    """

    name: str
    sizes: tuple[str, ...]
    seconds: tuple[str, ...]
    price_per_second: Mapping[str, float] = field(default_factory=dict)
    label: str = ""

    @property
    def default_size(self) -> str:
        return self.sizes[0]

    @property
    def default_seconds(self) -> str:
        return self.seconds[0]

    def price(self, size: str) -> float | None:
        """USD per second at ``size``, or None when the profile does not know the price."""
        if size in self.price_per_second:
            return self.price_per_second[size]
        return self.price_per_second.get("*")


@dataclass(frozen=True)
class BackendProfile:
    """What one backend offers.

    Parameters
    ----------
    name
        Short identifier (``"openai"``, ``"veo-via-litellm"``, ...).
    models
        The models it serves; the first is the default.
    features
        A subset of :data:`FEATURES`.
    open_models
        Accept model names the profile does not list (gateways add models all the time); they get the
        sizes and seconds of the default model and no price.
    queued_until_done
        The backend says ``queued`` from the create until the job ends, never ``in_progress`` (SGLang's
        diffusion server): its "queued" means "queued or rendering". Also discovered (``says_running``).
    """

    name: str
    models: tuple[ModelSpec, ...]
    features: frozenset[str] = SPEC_FEATURES
    open_models: bool = False
    description: str = ""
    queued_until_done: bool = False

    def __post_init__(self) -> None:
        if not self.models:
            raise ValueError(f"profile {self.name!r} needs at least one model")
        unknown = set(self.features) - FEATURES
        if unknown:
            raise ValueError(f"profile {self.name!r}: unknown features {sorted(unknown)}; allowed: {sorted(FEATURES)}")

    @property
    def default_model(self) -> str:
        return self.models[0].name

    @property
    def model_names(self) -> tuple[str, ...]:
        return tuple(m.name for m in self.models)

    def supports(self, feature: str) -> bool:
        return feature in self.features

    def find_model(self, name: str) -> ModelSpec | None:
        """The spec for ``name``: exact, a dated snapshot of a listed model, or (open profiles) a generic one."""
        for spec in self.models:
            if spec.name == name:
                return spec
        match = _SNAPSHOT.match(name)
        if match:
            for spec in self.models:
                if spec.name == match.group("base"):
                    return replace(spec, name=name)
        if self.open_models:
            base = self.models[0]
            return ModelSpec(name=name, sizes=base.sizes, seconds=base.seconds, price_per_second={})
        return None

    def with_models(self, models: Iterable[ModelSpec]) -> BackendProfile:
        return replace(self, models=tuple(models))


_SORA_SIZES = ("720x1280", "1280x720")
_SORA_PRO_SIZES = ("720x1280", "1280x720", "1024x1792", "1792x1024")
_SORA_SECONDS = ("4", "8", "12")

#: OpenAI's Videos API as the spec and SDK describe it (DESIGN.md §1). The service itself was switched
#: off on 2026-09-24; the profile stays as the reference the emulator serves by default.
OPENAI_PROFILE = BackendProfile(
    name="openai",
    models=(
        ModelSpec("sora-2", _SORA_SIZES, _SORA_SECONDS, {"*": 0.10}, label="Sora 2"),
        ModelSpec(
            "sora-2-pro",
            _SORA_PRO_SIZES,
            _SORA_SECONDS,
            {"720x1280": 0.30, "1280x720": 0.30, "1024x1792": 0.50, "1792x1024": 0.50},
            label="Sora 2 Pro",
        ),
    ),
    features=SPEC_FEATURES,
    open_models=False,
    description="OpenAI Videos API (Sora 2), as specified; served by the local emulator",
)

#: A LiteLLM proxy in front of OpenAI-protocol upstreams: any model the proxy serves (``GET /v1/models`` fills
#: the choices), Sora's sizes and seconds for the names it does not describe; every feature is discovered (the
#: proxy has no list and no delete, and ignores ``variant``: learned from its first answers, remembered).
LITELLM_PROFILE = BackendProfile(
    name="litellm",
    models=OPENAI_PROFILE.models,
    features=FEATURES,
    open_models=True,
    description="LiteLLM proxy (OpenAI-protocol upstreams); models from the proxy, features discovered",
)

_VEO_SIZES = ("1280x720", "720x1280", "1920x1080", "1080x1920")
_VEO_SECONDS = ("8", "6", "4")

#: A LiteLLM proxy routing to Veo (Gemini API): no progress, no variants, no remix/list/delete (declared, so
#: nothing is tried); a safety-filtered job reads "completed" and its content is a JSON error (handled).
LITELLM_VEO_PROFILE = BackendProfile(
    name="litellm-veo",
    models=(
        ModelSpec("veo-3.1-generate-001", _VEO_SIZES, _VEO_SECONDS, {"*": 0.40}, label="Veo 3.1"),
        ModelSpec("veo-3.1-fast-generate-001", _VEO_SIZES, _VEO_SECONDS,
                  {"*": 0.10, "1920x1080": 0.12, "1080x1920": 0.12}, label="Veo 3.1 Fast"),
        ModelSpec("veo-3.0-generate-001", _VEO_SIZES, _VEO_SECONDS, {"*": 0.40}, label="Veo 3"),
        ModelSpec("veo-3.0-fast-generate-001", _VEO_SIZES, _VEO_SECONDS, {"*": 0.15}, label="Veo 3 Fast"),
        ModelSpec("veo-2.0-generate-001", ("1280x720", "720x1280"), ("8", "6", "5"), {"*": 0.35}, label="Veo 2"),
    ),
    features=frozenset(),
    open_models=True,
    description="LiteLLM proxy in front of Gemini/Vertex Veo",
)

#: vLLM-Omni serving one video model (a Wan text-to-video pipeline by default; another model name is accepted):
#: list, delete and progress; no remix, no variants (thumbnail/spritesheet made locally). Self-hosted: no price.
VLLM_OMNI_PROFILE = BackendProfile(
    name="vllm-omni",
    models=(ModelSpec("Wan-AI/Wan2.2-T2V-A14B-Diffusers", ("832x480", "480x832", "1280x720"), ("4", "2", "5"),
                      {"*": 0.0}, label="Wan 2.2 T2V"),),
    features=frozenset({"list", "delete", "progress"}),
    open_models=True,
    description="vLLM-Omni's /v1/videos (one model per server)",
)

#: SGLang's diffusion server: list and delete (which does not stop a render); progress stays 0 until done (so
#: polls aim at the end this backend's history predicts); no remix, no variants. Self-hosted: no price.
SGLANG_PROFILE = BackendProfile(
    name="sglang",
    models=(ModelSpec("Wan-AI/Wan2.1-T2V-1.3B-Diffusers", ("832x480", "480x832"), ("4", "2", "5"), {"*": 0.0},
                      label="Wan 2.1 T2V 1.3B"),),
    features=frozenset({"list", "delete"}),
    open_models=True,
    description="SGLang's diffusion server (/v1/videos)",
    queued_until_done=True,
)

DEFAULT_PROFILE = OPENAI_PROFILE

_REGISTRY: dict[str, BackendProfile] = {
    p.name: p for p in (OPENAI_PROFILE, LITELLM_PROFILE, LITELLM_VEO_PROFILE, VLLM_OMNI_PROFILE, SGLANG_PROFILE)
}


def register_profile(profile: BackendProfile) -> BackendProfile:
    """Make ``profile`` available by name (``sw.configure(profile="name")``, ``%sora backend``)."""
    _REGISTRY[profile.name] = profile
    return profile


def get_profile(name: str) -> BackendProfile:
    try:
        return _REGISTRY[name]
    except KeyError:
        raise KeyError(f"unknown profile {name!r}; known: {', '.join(sorted(_REGISTRY))}") from None


def profile_names() -> list[str]:
    return sorted(_REGISTRY)
