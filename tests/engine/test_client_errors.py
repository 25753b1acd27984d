"""client.py's mapping of HTTP outcomes, through the real SDK with a stand-in transport (for answers the
emulator does not give on purpose)."""

from __future__ import annotations

import asyncio

import httpx2
import openai
import pytest

from sora_widgets.client import UnknownOutcome, VideoClient
from sora_widgets.errors import AuthenticationError, ContentPolicyError, ValidationError
from sora_widgets.outcomes import Gone, Transient
from sora_widgets.params import VideoParams

KEY = "sk-client-test-SECRET-987654"
PARAMS = VideoParams("a prompt", "sora-2", "720x1280", "4")


def client_for(handler, base_url="http://backend.test/v1") -> VideoClient:
    sdk = openai.AsyncOpenAI(api_key=KEY, base_url=base_url,
                             http_client=openai.DefaultAsyncHttpxClient(transport=httpx2.MockTransport(handler)))
    return VideoClient(client=sdk)


def error(status, message, code=None, param=None, headers=None):
    def handler(request):
        return httpx2.Response(status, headers=headers or {},
                               json={"error": {"message": message, "type": "x", "param": param, "code": code}})
    return handler


def run(coro):
    return asyncio.run(coro)


def test_create_5xx_is_an_unknown_outcome_but_429_is_not():
    with pytest.raises(UnknownOutcome):
        run(client_for(error(502, "bad gateway")).create(PARAMS))
    with pytest.raises(Transient) as info:
        run(client_for(error(429, "slow down", headers={"retry-after": "7"})).create(PARAMS))
    assert info.value.status == 429 and info.value.retry_after_s == 7.0


def test_refused_connection_is_known_not_sent():
    def refuse(request):
        raise httpx2.ConnectError("connection refused", request=request)

    with pytest.raises(Transient) as info:
        run(client_for(refuse).create(PARAMS))
    assert info.value.not_sent


def test_a_dropped_response_after_sending_is_unknown():
    def drop(request):
        raise httpx2.RemoteProtocolError("peer closed connection", request=request)

    with pytest.raises(UnknownOutcome):
        run(client_for(drop).create(PARAMS))


def test_typed_errors_and_no_key_in_them():
    with pytest.raises(AuthenticationError) as auth:
        run(client_for(error(401, f"Incorrect API key provided: {KEY}", "invalid_api_key")).create(PARAMS))
    assert KEY not in str(auth.value) and "401" in str(auth.value)
    with pytest.raises(ContentPolicyError) as blocked:
        run(client_for(error(400, "Your image was blocked", "moderation_blocked", "input_reference")).create(PARAMS))
    assert blocked.value.blocked_input == "image"
    with pytest.raises(ValidationError, match="Invalid size") as bad:
        run(client_for(error(400, "Invalid size '1x1'", param="size")).create(PARAMS))
    assert bad.value.param == "size"


def test_unknown_id_is_gone_and_5xx_on_get_is_transient():
    with pytest.raises(Gone):
        run(client_for(error(404, "No video found with id 'video_x'")).retrieve("video_x"))
    with pytest.raises(Transient):
        run(client_for(error(503, "overloaded")).retrieve("video_x"))


def test_short_download_is_transient_and_leaves_no_file(tmp_path):
    def short(request):
        return httpx2.Response(200, headers={"content-length": "100"}, content=b"x" * 40)

    dest = tmp_path / "video.mp4"
    with pytest.raises(Transient):
        run(client_for(short).download("video_x", "video", dest))
    assert list(tmp_path.iterdir()) == []


def test_repr_never_shows_the_key():
    client = client_for(error(500, "x"))
    assert KEY not in repr(client) and "backend.test" in repr(client)
