"""Bad input fails before any request; backend failures are typed, readable, and never show the key."""

from __future__ import annotations

import io
import socket

import pytest
from PIL import Image

import sora_widgets as sw
from sora_widgets.errors import redact

SECRET = "sk-test-THIS-MUST-NEVER-SHOW-123456"


def total_requests(emulator) -> int:
    return sum(int(v) for v in emulator.stats()["requests"].values())


def test_every_bad_input_is_refused_before_any_request(configured, emulator):
    gif = io.BytesIO()
    Image.new("RGB", (8, 8)).save(gif, format="GIF")
    big = io.BytesIO()
    Image.new("RGB", (100, 100)).save(big, format="PNG")
    cases = [
        (dict(prompt="x", model="sora-9"), sw.ValidationError, "allowed: sora-2, sora-2-pro"),
        (dict(prompt="x", size="1792x1024"), sw.ValidationError, "allowed: 720x1280, 1280x720"),
        (dict(prompt="x", model="sora-2-pro", size="640x480"), sw.ValidationError, "1792x1024"),
        (dict(prompt="x", seconds=7), sw.ValidationError, "allowed: 4, 8, 12"),
        (dict(prompt=""), sw.ValidationError, "prompt must be non-empty"),
        (dict(prompt="x", input_reference=gif.getvalue()), sw.ValidationError, "JPEG, PNG, WebP"),
        (dict(prompt="x", input_reference=b"\0" * (21 * 1024 * 1024)), sw.ValidationError, "20 MiB"),
        (dict(prompt="x", input_reference=big.getvalue(), fit="error"), sw.ValidationError, "exact match"),
    ]
    sw.backend_info()
    before = total_requests(emulator)
    for kwargs, error, text in cases:
        prompt = kwargs.pop("prompt")
        with pytest.raises(error, match=text.replace("(", r"\(")):
            sw.submit(prompt, **kwargs)
    assert total_requests(emulator) == before
    assert sw.jobs() == []  # nothing journaled either


def test_budget_and_local_limits_refuse_before_any_request(emulator, tmp_path):
    sw.configure(base_url=emulator.base_url, api_key=emulator.api_key, home=tmp_path, budget_usd=0.5)
    assert sw.estimate_cost(seconds=4) == pytest.approx(0.4)
    before = total_requests(emulator)
    with pytest.raises(sw.BudgetExceededError, match=r"would cost \$0.80.*budget"):
        sw.submit("a long walk", seconds=8)
    assert total_requests(emulator) == before
    first = sw.submit("a short walk", seconds=4)
    assert sw.budget_remaining() == pytest.approx(0.1)
    with pytest.raises(sw.BudgetExceededError, match=r"\$0.10 left"):
        sw.submit("another short walk", seconds=4)
    first.wait(60)
    sw.configure(budget_usd=None, max_per_minute=2)  # limits change in place: the engine keeps its history
    sw.submit("a second short walk", seconds=4)
    with pytest.raises(sw.BudgetExceededError, match="max_per_minute=2"):
        sw.submit("one more", seconds=4)
    sw.configure(max_per_minute=None, max_concurrent=1)
    with pytest.raises(sw.BudgetExceededError, match="max_concurrent=1"):
        sw.submit("walk number four", seconds=4)
    for job in sw.jobs():
        job.wait(60)
    sw.submit("walk number five", seconds=4).wait(60)


def test_wrong_key_is_an_authentication_error_that_never_shows_the_key(emulator, tmp_path, caplog):
    sw.configure(base_url=emulator.base_url, api_key=SECRET, home=tmp_path)
    with pytest.raises(sw.AuthenticationError) as info:
        sw.generate("a quiet street", seconds=4)
    job = info.value.job
    shown = " ".join([str(info.value), repr(info.value), repr(job), str(job.to_dict()), str(sw.backend_info()),
                      repr(sw.api.engine()), repr(sw.api.engine().settings), caplog.text])
    assert "401" in str(info.value)
    assert SECRET not in shown and "THIS-MUST-NEVER" not in shown
    journal = (tmp_path / "jobs.sqlite3").read_bytes() + b"".join(p.read_bytes() for p in tmp_path.glob("*-wal"))
    assert SECRET.encode() not in journal


def test_redact_hides_key_shaped_text():
    assert "sk-***" in redact("key sk-abcdef1234567890 leaked")
    assert redact("Authorization: Bearer abc.def-123456") == "Authorization: Bearer ***"
    assert redact("my token", ("token",)) == "my ***"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_unreachable_backend_is_backend_unavailable(tmp_path):
    sw.configure(base_url=f"http://127.0.0.1:{free_port()}/v1", api_key="k", home=tmp_path)
    with pytest.raises(sw.BackendUnavailableError, match=r"could not reach.*sw.configure"):
        sw.generate("anything", seconds=4, timeout=60)


def test_endpoint_without_the_videos_api_is_backend_unavailable(emulator, tmp_path):
    root = emulator.base_url.rsplit("/v1", 1)[0] + "/not-v1"
    sw.configure(base_url=root, api_key=emulator.api_key, home=tmp_path)
    with pytest.raises(sw.BackendUnavailableError, match="does not serve the Videos API"):
        sw.generate("anything", seconds=4, timeout=60)


def test_openai_itself_explains_the_shutdown(tmp_path):
    """api.openai.com answers 404 now: a transport standing in for it (no network here)."""
    import httpx2
    import openai

    def handler(request):
        body = {"error": {"message": "Invalid URL (POST /v1/videos)", "type": "invalid_request_error",
                          "param": None, "code": None}}
        return httpx2.Response(404, json=body)

    client = openai.AsyncOpenAI(api_key=SECRET, http_client=openai.DefaultAsyncHttpxClient(
        transport=httpx2.MockTransport(handler)))
    sw.configure(client=client, home=tmp_path)
    assert sw.backend_info()["label"] == "api.openai.com"
    with pytest.raises(sw.BackendUnavailableError, match="2026-09-24") as info:
        sw.generate("anything", seconds=4, timeout=30)
    assert "sw.configure(base_url=" in str(info.value) and SECRET not in str(info.value)
