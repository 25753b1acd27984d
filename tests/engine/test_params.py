"""Validation, reference fitting, cost and cache keys: all before any request."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from sora_widgets.errors import ValidationError
from sora_widgets.params import cache_key, estimate_cost, fit_reference, load_reference, validate
from sora_widgets.profiles import LITELLM_VEO_PROFILE, OPENAI_PROFILE


def png(width: int, height: int, color=(200, 30, 30), fmt: str = "PNG") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), color).save(out, format=fmt)
    return out.getvalue()


def test_defaults_follow_the_profile():
    params = validate(OPENAI_PROFILE, "a red kite over the sea")
    assert (params.model, params.size, params.seconds) == ("sora-2", "720x1280", "4")
    assert params.reference is None


def test_seconds_accepts_int_and_string():
    assert validate(OPENAI_PROFILE, "x", seconds=8).seconds == "8"
    assert validate(OPENAI_PROFILE, "x", seconds="12").seconds == "12"
    assert validate(OPENAI_PROFILE, "x", seconds=4.0).seconds == "4"


@pytest.mark.parametrize(
    "kwargs, param, allowed",
    [
        ({"model": "sora-3"}, "model", "sora-2, sora-2-pro"),
        ({"model": ""}, "model", "sora-2"),
        ({"size": "1792x1024"}, "size", "720x1280, 1280x720"),
        ({"size": "1920x1080", "model": "sora-2-pro"}, "size", "1024x1792"),
        ({"seconds": 5}, "seconds", "4, 8, 12"),
        ({"seconds": True}, "seconds", "seconds"),
        ({"fit": "stretch"}, "fit", "cover, contain, error"),
    ],
)
def test_bad_parameters_name_what_is_allowed(kwargs, param, allowed):
    with pytest.raises(ValidationError) as info:
        validate(OPENAI_PROFILE, "a prompt", **kwargs)
    assert info.value.param == param
    assert allowed in str(info.value)


@pytest.mark.parametrize("prompt", ["", "   ", None, 42])
def test_empty_or_non_text_prompt(prompt):
    with pytest.raises(ValidationError, match="prompt must be non-empty"):
        validate(OPENAI_PROFILE, prompt)


def test_snapshot_models_and_open_profiles():
    assert validate(OPENAI_PROFILE, "x", model="sora-2-2025-10-06").model == "sora-2-2025-10-06"
    params = validate(LITELLM_VEO_PROFILE, "x", model="wan-2.2")
    assert params.model == "wan-2.2" and params.size == "1280x720" and params.seconds == "8"
    assert estimate_cost(LITELLM_VEO_PROFILE, "wan-2.2") is None


def test_cost_estimates_follow_the_price_table():
    assert estimate_cost(OPENAI_PROFILE) == pytest.approx(0.40)
    assert estimate_cost(OPENAI_PROFILE, "sora-2-pro", "1792x1024", 12) == pytest.approx(6.0)
    assert estimate_cost(OPENAI_PROFILE, "sora-2-pro", "1280x720", "8") == pytest.approx(2.4)
    with pytest.raises(ValidationError, match="allowed: 4, 8, 12"):
        estimate_cost(OPENAI_PROFILE, seconds=3)


def test_reference_cover_crops_to_exact_size():
    ref = validate(OPENAI_PROFILE, "x", size="1280x720", input_reference=png(400, 400)).reference
    assert ref is not None and ref.mime == "image/png"
    assert Image.open(io.BytesIO(ref.data)).size == (1280, 720)


def test_reference_contain_letterboxes():
    ref = fit_reference(Image.open(io.BytesIO(png(100, 100, (255, 255, 255)))), "720x1280", "contain")
    img = Image.open(io.BytesIO(ref.data)).convert("RGB")
    assert img.size == (720, 1280)
    assert img.getpixel((360, 5)) == (0, 0, 0)  # letterbox bar
    assert img.getpixel((360, 640)) == (255, 255, 255)  # the image itself


def test_reference_fit_error_refuses_mismatch_and_accepts_exact():
    with pytest.raises(ValidationError, match="requires an exact match"):
        validate(OPENAI_PROFILE, "x", size="1280x720", input_reference=png(100, 100), fit="error")
    ref = validate(OPENAI_PROFILE, "x", size="1280x720", input_reference=png(1280, 720, fmt="JPEG"), fit="error")
    assert ref.reference is not None and ref.reference.mime == "image/jpeg"


def test_reference_type_and_size_checked(tmp_path):
    gif = io.BytesIO()
    Image.new("RGB", (10, 10)).save(gif, format="GIF")
    with pytest.raises(ValidationError, match="allowed types: JPEG, PNG, WebP"):
        validate(OPENAI_PROFILE, "x", input_reference=gif.getvalue())
    with pytest.raises(ValidationError, match="not a readable image"):
        validate(OPENAI_PROFILE, "x", input_reference=b"not an image at all")
    with pytest.raises(ValidationError, match="at most 20 MiB"):
        validate(OPENAI_PROFILE, "x", input_reference=b"\0" * (20 * 1024 * 1024 + 1))
    with pytest.raises(ValidationError, match="file not found"):
        validate(OPENAI_PROFILE, "x", input_reference=tmp_path / "missing.png")
    with pytest.raises(ValidationError, match="file path, bytes or a PIL image"):
        validate(OPENAI_PROFILE, "x", input_reference=12345)
    path = tmp_path / "ref.webp"
    path.write_bytes(png(720, 1280, fmt="WEBP"))
    assert load_reference(path).format == "WEBP"


def test_cache_key_covers_every_input():
    base = validate(OPENAI_PROFILE, "a cat")
    variants = [
        validate(OPENAI_PROFILE, "a cat!"),
        validate(OPENAI_PROFILE, "a cat", seconds=8),
        validate(OPENAI_PROFILE, "a cat", size="1280x720"),
        validate(OPENAI_PROFILE, "a cat", model="sora-2-pro"),
        validate(OPENAI_PROFILE, "a cat", input_reference=png(720, 1280)),
    ]
    keys = {cache_key("http://a/v1", base)} | {cache_key("http://a/v1", v) for v in variants}
    keys.add(cache_key("http://b/v1", base))
    assert len(keys) == 7
    assert cache_key("http://a/v1", base) == cache_key("http://a/v1", validate(OPENAI_PROFILE, "a cat"))
