"""What a real LiteLLM proxy does with the Videos API, seen through the official ``openai`` SDK.

Each test pins one observed behaviour (docs/carriers.md has the table). When a LiteLLM upgrade changes one,
the test that fails names it.
"""

from __future__ import annotations

import base64
import re
import time

import httpx
import openai
import pytest

pytestmark = [
    pytest.mark.timeout(90),
    # the SDK warns on every videos call; the engine silences it itself, these tests call the SDK directly
    pytest.mark.filterwarnings("ignore:The Sora API is scheduled to permanently shut down:DeprecationWarning"),
]

TINY = {"model": "sora-2", "size": "160x90", "seconds": "1"}


def create(sdk: openai.OpenAI, prompt: str, **extra):
    return sdk.videos.create(prompt=prompt, **{**TINY, **extra})


def wait_done(sdk: openai.OpenAI, video_id: str, timeout: float = 30.0):
    deadline = time.monotonic() + timeout
    while True:
        video = sdk.videos.retrieve(video_id)
        if video.status in ("completed", "failed"):
            return video
        assert time.monotonic() < deadline, f"{video_id} still {video.status} after {timeout}s"
        time.sleep(0.05)  # polling interval of a wait with a deadline


def decode_id(video_id: str) -> dict[str, str]:
    """``video_`` + standard base64 of ``litellm:key:value;key:value…`` → the fields."""
    assert video_id.startswith("video_")
    text = base64.b64decode(video_id[len("video_"):], validate=True).decode()
    assert text.startswith("litellm:")
    return dict(part.split(":", 1) for part in text[len("litellm:"):].split(";"))


@pytest.fixture(scope="module")
def finished(litellm_proxy, upstream):
    """One completed video made through the proxy, with the raw create response kept."""
    import openai

    with openai.OpenAI(base_url=litellm_proxy.base_url, api_key=litellm_proxy.master_key, max_retries=0) as sdk:
        raw = sdk.videos.with_raw_response.create(prompt="a red cube turning", **TINY)
        created = raw.parse()
        video = wait_done(sdk, created.id)
    assert video.status == "completed", video
    return {"raw": raw, "created": created, "video": video}


def test_create_is_accepted_as_multipart_and_answers_a_video_object(finished, upstream):
    created = finished["created"]
    assert created.object == "video"
    assert created.status in ("queued", "in_progress")
    assert (created.model, created.size, created.seconds) == ("sora-2", "160x90", "1")
    # the SDK sends multipart/form-data; the proxy forwarded it, the emulator counted one create
    assert finished["raw"].http_request.headers["content-type"].startswith("multipart/form-data")
    assert upstream.stats()["create"] >= 1


def test_id_is_video_plus_standard_base64_of_provider_model_and_upstream_id(finished):
    vid = finished["created"].id
    fields = decode_id(vid)
    assert fields["custom_llm_provider"] == "openai"
    assert fields["model_id"] == "sora-2"
    assert re.fullmatch(r"video_[0-9a-f]+", fields["video_id"])  # the emulator's own id, unchanged inside
    assert "deployment_id" in fields  # 1.108: the id also names the deployment that made it (64 hex)
    assert re.fullmatch(r"[0-9a-f]{64}", fields["deployment_id"])
    assert 200 <= len(vid) <= 300, len(vid)
    assert re.fullmatch(r"video_[A-Za-z0-9+/]+={0,2}", vid)  # standard alphabet, padding kept
    # retrieve answers with the same (encoded) id, so an id is stable across polls
    assert finished["video"].id == vid


def test_fields_prompt_dropped_usage_added(finished):
    created = finished["created"].model_dump()
    done = finished["video"].model_dump()
    assert created.get("prompt") is None and done.get("prompt") is None  # the emulator sends it; the proxy drops it
    assert created["usage"] == {"duration_seconds": 1.0}  # added on create
    assert done.get("usage") is None  # ... and null on retrieve
    assert done["progress"] == 100 and done["completed_at"] and done["expires_at"]  # passed through


def test_no_poll_after_header_but_litellm_headers(finished, litellm_proxy):
    headers = finished["raw"].headers
    assert "openai-poll-after-ms" not in headers  # the emulator sends it; the proxy does not pass it on
    assert "x-request-id" not in headers
    assert headers["x-litellm-version"] == litellm_proxy.version
    assert headers["x-litellm-model-group"] == "sora-2"
    assert float(headers["x-litellm-response-cost"]) >= 0


@pytest.mark.parametrize("variant", [None, "video", "thumbnail", "spritesheet"])
def test_content_is_always_the_mp4_whatever_the_variant(finished, proxy_sdk, variant):
    kwargs = {"variant": variant} if variant else {}
    resp = proxy_sdk.videos.download_content(finished["video"].id, **kwargs)
    body = resp.read()
    assert resp.response.headers["content-type"] == "video/mp4"
    assert body[4:8] == b"ftyp"  # an MP4, never the WebP thumbnail or the JPEG spritesheet
    # and not the emulator's media headers either (x-video-width, x-sprite-columns…)
    assert not any(h.startswith(("x-video-", "x-sprite-", "x-thumbnail-")) for h in resp.response.headers)


def test_content_requests_each_reach_the_upstream(finished, proxy_sdk, upstream):
    before = upstream.stats()["content"]
    proxy_sdk.videos.download_content(finished["video"].id, variant="thumbnail").read()
    assert upstream.stats()["content"] == before + 1  # no caching in the proxy: every download is forwarded


def test_list_fails_llm_provider_not_provided(litellm_proxy, proxy_sdk):
    with pytest.raises(openai.BadRequestError) as info:
        proxy_sdk.videos.list(limit=5)
    assert info.value.status_code == 400
    assert "LLM Provider NOT provided" in str(info.value)


def test_delete_has_no_route_405(finished, proxy_sdk, upstream):
    before = upstream.stats()["delete"]
    with pytest.raises(openai.APIStatusError) as info:
        proxy_sdk.videos.delete(finished["video"].id)
    assert info.value.status_code == 405
    assert info.value.response.headers.get("allow") == "GET"
    assert upstream.stats()["delete"] == before  # nothing reached the backend: the video stays there


def test_remix_works_and_names_the_raw_upstream_source(finished, proxy_sdk):
    source = finished["video"].id
    remix = proxy_sdk.videos.remix(source, prompt="the same cube, but blue")
    fields = decode_id(remix.id)
    assert fields["video_id"] != decode_id(source)["video_id"]
    # remixed_from_video_id is the upstream's raw id, not the proxy's encoded one
    assert remix.remixed_from_video_id == decode_id(source)["video_id"]
    done = wait_done(proxy_sdk, remix.id)
    assert done.status == "completed"
    assert done.remixed_from_video_id == decode_id(source)["video_id"]


def test_wrong_key_with_master_key_and_no_db_is_400_no_connected_db(finished, litellm_proxy):
    with (
        openai.OpenAI(base_url=litellm_proxy.base_url, api_key="sk-wrong", max_retries=0) as sdk,
        pytest.raises(openai.BadRequestError) as info,
    ):
        sdk.videos.retrieve(finished["video"].id)
    assert info.value.status_code == 400  # not 401: a client cannot tell a bad key from a bad request by status
    assert "No connected db." in str(info.value)


def test_no_key_at_all_is_a_plain_500(litellm_proxy):
    resp = httpx.get(f"{litellm_proxy.base_url}/videos/video_x", timeout=10)
    assert resp.status_code == 500
    assert resp.headers["content-type"].startswith("text/plain")  # not even JSON
    assert resp.text == "Internal Server Error"


def test_undecodable_id_is_500_after_trying_the_default_openai_host(proxy_sdk):
    with pytest.raises(openai.InternalServerError) as info:
        proxy_sdk.videos.retrieve("video_doesnotexist")
    assert info.value.status_code == 500
    # the proxy sent it to api.openai.com; the fixture routes that through a closed loopback port (offline)
    assert "OpenAIException" in str(info.value) and "connect" in str(info.value).lower(), str(info.value)


def test_well_formed_id_of_a_video_the_upstream_lacks(finished, proxy_sdk):
    fields = decode_id(finished["video"].id)
    missing = "video_" + "0" * 48
    text = ";".join(f"{k}:{missing if k == 'video_id' else v}" for k, v in fields.items())
    bogus = "video_" + base64.b64encode(f"litellm:{text}".encode()).decode()
    with pytest.raises(openai.APIStatusError) as info:
        proxy_sdk.videos.retrieve(bogus)
    assert info.value.status_code == 404  # the upstream's 404 comes through as a 404
    assert "not found" in str(info.value).lower()


def test_models_lists_the_routed_video_models(proxy_sdk):
    models = {m.id: m for m in proxy_sdk.models.list().data}
    assert set(models) == {"sora-2", "sora-2-pro"}
    assert all(m.model_dump().get("mode") == "video_generation" for m in models.values())


def test_unknown_model_is_rejected_before_the_upstream(litellm_proxy, proxy_sdk, upstream):
    before = upstream.stats()["create"]
    with pytest.raises(openai.APIStatusError) as info:
        proxy_sdk.videos.create(prompt="x", model="sora-9", size="160x90", seconds="1")
    assert info.value.status_code == 400
    assert upstream.stats()["create"] == before


def test_upstream_validation_error_comes_through_as_400(proxy_sdk):
    with pytest.raises(openai.BadRequestError) as info:
        proxy_sdk.videos.create(prompt="x", model="sora-2", size="1234x5", seconds="1")
    assert "size" in str(info.value)


def test_in_progress_reports_the_upstream_progress(litellm_proxy, proxy_sdk):
    video = proxy_sdk.videos.create(prompt="a slow pan across a desk", model="sora-2", size="160x90", seconds="2")
    seen: set[str] = set()
    progress: list[int] = []
    deadline = time.monotonic() + 30
    while video.status not in ("completed", "failed"):
        assert time.monotonic() < deadline
        video = proxy_sdk.videos.retrieve(video.id)
        seen.add(video.status)
        progress.append(video.progress or 0)
        time.sleep(0.02)  # polling interval of a wait with a deadline
    assert video.status == "completed"
    assert progress == sorted(progress) and progress[-1] == 100
