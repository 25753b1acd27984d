"""The profiles' prices against LiteLLM's bundled cost map, where it prices the same model.

The cost map ships inside the ``litellm`` wheel (``model_prices_and_context_window_backup.json``), each entry naming
the provider page it came from: a dated second source that this test reads from disk without importing LiteLLM.
A drift on either side fails here, so a budget never silently trusts a stale price.
"""

from __future__ import annotations

import importlib.util
import json
import os
from pathlib import Path

import pytest

from sora_widgets import get_profile
from sora_widgets.providers.profiles import MODEL_TRAITS, PRICES_CHECKED, PROFILES

#: (profile, model) -> the cost map's key for the same model.
SAME_MODEL = {
    ("openai", "sora-2"): "openai/sora-2",
    ("openai", "sora-2-pro"): "openai/sora-2-pro",
    ("gemini", "veo-3.1-generate-001"): "gemini/veo-3.1-generate-001",
    ("gemini", "veo-3.1-fast-generate-001"): "gemini/veo-3.1-fast-generate-001",
    ("litellm-veo", "veo-3.1-generate-001"): "gemini/veo-3.1-generate-001",
    ("litellm-veo", "veo-3.1-fast-generate-001"): "gemini/veo-3.1-fast-generate-001",
    ("runwayml", "gen4_turbo"): "runwayml/gen4_turbo",
}
HIGH_RES = {"1792x1024", "1024x1792"}  # Sora 2 Pro's high-res sizes: the map's sora-2-pro-high-res entry
FULL_HD = {"1920x1080", "1080x1920"}


@pytest.fixture(scope="module")
def cost_map() -> dict:
    spec = importlib.util.find_spec("litellm")
    if spec is None or spec.origin is None:
        if os.environ.get("CI"):
            pytest.fail("litellm (the test extra) is not installed")
        pytest.skip("litellm is not installed")
    return json.loads((Path(spec.origin).parent / "model_prices_and_context_window_backup.json").read_text())


def _per_second(entry: dict, size: str) -> float:
    if size in FULL_HD and "output_cost_per_second_1080p" in entry:
        return entry["output_cost_per_second_1080p"]
    return entry.get("output_cost_per_second", entry.get("output_cost_per_video_per_second"))


@pytest.mark.parametrize(("profile_name", "model"), sorted(SAME_MODEL))
def test_a_price_matches_the_cost_map_at_every_size(cost_map, profile_name, model):
    profile = PROFILES.get(profile_name) or get_profile(profile_name)
    spec = profile.find_model(model)
    assert spec is not None and spec.name == model, f"{profile_name} lost {model}"
    for size in spec.sizes:
        key = SAME_MODEL[(profile_name, model)]
        if size in HIGH_RES:
            key += "-high-res"
        assert key in cost_map, f"the cost map no longer has {key}"
        assert spec.price(size) == pytest.approx(_per_second(cost_map[key], size)), (profile_name, model, size)


def test_every_priced_provider_model_says_where_its_price_came_from():
    for profile in PROFILES.values():
        for spec in profile.models:
            if not spec.price_per_second:
                continue
            source = MODEL_TRAITS[spec.name].source
            checked = any(p == profile.name and m == spec.name for p, m in SAME_MODEL)
            assert ("cost map" in source) == checked, (spec.name, source)
            if not checked:
                assert PRICES_CHECKED in source, f"{spec.name}: an unchecked price must carry its date"
