"""Every error path lands in the SDK's matching exception class, with the spec's error body."""

from __future__ import annotations

import openai
import pytest

from .conftest import image_bytes
from .test_routes import raw


def assert_error_shape(resp, status, param=None):
    assert resp.status_code == status, resp.text
    body = resp.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"message", "type", "param", "code"}
    if param is not None:
        assert body["error"]["param"] == param
    return body["error"]


def test_missing_and_wrong_key(emulator):
    client = openai.OpenAI(base_url=emulator.base_url, api_key="sk-wrong", max_retries=0)
    with pytest.raises(openai.AuthenticationError) as exc:
        client.videos.list()
    assert exc.value.status_code == 401
    assert "sk-wrong" not in str(exc.value)  # never echo keys
    err = assert_error_shape(raw(emulator, "GET", "/videos", headers={}), 401)
    assert err["code"] == "invalid_api_key"
    assert_error_shape(raw(emulator, "GET", "/videos", headers={"Authorization": "Basic abc"}), 401)


def test_unknown_ids_routes_and_methods(sdk, emulator):
    with pytest.raises(openai.NotFoundError):
        sdk.videos.retrieve("video_unknown")
    with pytest.raises(openai.NotFoundError):
        sdk.videos.delete("video_unknown")
    with pytest.raises(openai.NotFoundError):
        sdk.videos.download_content("video_unknown")
    err = assert_error_shape(raw(emulator, "GET", "/nothing/here"), 404)
    assert err["message"] == "Invalid URL (GET /v1/nothing/here)"
    err = assert_error_shape(raw(emulator, "PUT", "/videos"), 404)  # a wrong method is an invalid URL too
    assert err["message"] == "Invalid URL (PUT /v1/videos)"
    assert_error_shape(raw(emulator, "GET", "/videos/%0A/content"), 404)
    assert_error_shape(raw(emulator, "GET", "/videos/"), 404)  # no slash redirects


def test_content_not_ready(sdk):
    video = sdk.videos.create(prompt="A long one", model="sora-2-pro", size="1792x1024", seconds="12")
    with pytest.raises(openai.NotFoundError) as exc:
        sdk.videos.download_content(video.id)
    assert exc.value.body["message"].startswith("Video is not ready yet")
    sdk.videos.delete(video.id)


@pytest.mark.parametrize(
    ("fields", "param", "needle"),
    [
        ({"prompt": "x", "size": "1920x1080"}, "size", "'720x1280'"),
        ({"prompt": "x", "model": "sora-2", "size": "1792x1024"}, "size", "sora-2-pro"),
        ({"prompt": "x", "seconds": "5"}, "seconds", "'4', '8' and '12'"),
        ({"prompt": "x", "model": "sora-3"}, "model", "'sora-2' and 'sora-2-pro'"),
        ({"prompt": ""}, "prompt", "empty"),
    ],
)
def test_bad_params_multipart(sdk, fields, param, needle):
    with pytest.raises(openai.BadRequestError) as exc:
        sdk.videos.create(**fields)
    body = exc.value.body
    assert body["param"] == param
    assert needle in body["message"]


def test_missing_prompt(emulator):
    err = assert_error_shape(raw(emulator, "POST", "/videos", files={"model": (None, "sora-2")}), 400, "prompt")
    assert err["code"] == "missing_required_parameter"
    assert_error_shape(raw(emulator, "POST", "/videos", json={"model": "sora-2"}), 400, "prompt")


def test_json_seconds_as_integer_is_400(emulator):
    err = assert_error_shape(raw(emulator, "POST", "/videos", json={"prompt": "x", "seconds": 4}), 400, "seconds")
    assert "'4', '8' and '12'" in err["message"] and "integer" in err["message"]


def test_json_null_for_a_known_field_is_400(emulator):
    assert_error_shape(raw(emulator, "POST", "/videos", json={"prompt": "x", "size": None}), 400, "size")


def test_json_unknown_keys_are_ignored_and_snapshots_accepted(emulator):
    resp = raw(emulator, "POST", "/videos",
               json={"prompt": "A calm lake", "model": "sora-2-2025-10-06", "user": "someone", "extra": 1})
    assert resp.status_code == 200, resp.text
    assert resp.json()["model"] == "sora-2-2025-10-06"


def test_multipart_extra_fields_any_order(emulator):
    files = [("user", (None, "me")), ("seconds", (None, "8")), ("prompt", (None, "A calm lake")),
             ("model", (None, "sora-2"))]
    resp = raw(emulator, "POST", "/videos", files=files)
    assert resp.status_code == 200, resp.text
    assert resp.json()["seconds"] == "8"


def test_reference_must_match_size(sdk):
    with pytest.raises(openai.BadRequestError) as exc:
        reference = ("ref.png", image_bytes(640, 360, "PNG"), "image/png")
        sdk.videos.create(prompt="x", size="1280x720", input_reference=reference)
    assert "must match the requested width and height" in exc.value.body["message"]
    assert exc.value.body["param"] == "input_reference"


def test_reference_format_and_size_limit(sdk):
    gif = image_bytes(1280, 720, "GIF")
    with pytest.raises(openai.BadRequestError) as exc:
        sdk.videos.create(prompt="x", size="1280x720", input_reference=("ref.gif", gif, "image/gif"))
    assert "image/jpeg" in exc.value.body["message"]
    big = b"\xff\xd8\xff" + b"\0" * (20 * 1024 * 1024 + 1)
    with pytest.raises(openai.BadRequestError) as exc:
        sdk.videos.create(prompt="x", size="1280x720", input_reference=("big.jpg", big, "image/jpeg"))
    assert "20 MiB" in exc.value.body["message"]


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_reference_formats_accepted(sdk, fmt):
    video = sdk.videos.create(prompt="x", size="1280x720",
                              input_reference=(f"/full/path/ref.{fmt.lower()}", image_bytes(1280, 720, fmt), "image/x"))
    assert video.status == "queued"
    sdk.videos.delete(video.id)


def test_reference_without_filename(emulator):
    files = {"prompt": (None, "x"), "size": (None, "1280x720"),
             "input_reference": (None, image_bytes(1280, 720, "PNG"), "image/png")}
    resp = raw(emulator, "POST", "/videos", files=files)
    assert resp.status_code == 200, resp.text


def test_json_reference_object_rules(emulator):
    assert_error_shape(raw(emulator, "POST", "/videos", json={"prompt": "x", "input_reference": {}}), 400,
                       "input_reference")
    assert_error_shape(raw(emulator, "POST", "/videos",
                           json={"prompt": "x", "input_reference": {"image_url": "data:,", "file_id": "f"}}), 400,
                       "input_reference")
    assert_error_shape(raw(emulator, "POST", "/videos",
                           json={"prompt": "x", "input_reference": {"image_url": "https://example.com/a.png"}}), 400,
                       "input_reference.image_url")


def test_list_bad_params(emulator):
    assert_error_shape(raw(emulator, "GET", "/videos?limit=101"), 400, "limit")
    assert_error_shape(raw(emulator, "GET", "/videos?limit=abc"), 400, "limit")
    assert_error_shape(raw(emulator, "GET", "/videos?order=up"), 400, "order")


def test_bad_variant(emulator, sdk):
    video = sdk.videos.create(prompt="x")
    assert_error_shape(raw(emulator, "GET", f"/videos/{video.id}/content?variant=gif"), 400, "variant")
    sdk.videos.delete(video.id)


def test_malformed_json(emulator):
    resp = raw(emulator, "POST", "/videos", content=b"{not json", headers={
        "Authorization": f"Bearer {emulator.api_key}", "Content-Type": "application/json"})
    assert_error_shape(resp, 400)


def test_moderation_categories(sdk):
    for prompt in ("Taylor Swift waving", "Pikachu in a field", "A dance to Bohemian Rhapsody"):
        video = sdk.videos.create_and_poll(prompt=prompt, size="720x1280", seconds="4")
        assert video.status == "failed" and video.error.code == "moderation_blocked", prompt
    ok = sdk.videos.create(prompt="A marionette on a stage")  # word boundaries: not Mario
    assert sdk.videos.poll(ok.id).status == "completed"
