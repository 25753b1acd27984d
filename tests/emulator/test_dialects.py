"""The carriers' dialects, each driven by the official ``openai`` SDK over real HTTP, each quirk asserted.

Every dialect first runs the same lifecycle (create, poll until terminal, download, a valid MP4), so any client
test can run against each carrier's accent; then each dialect's own quirks are checked one by one.
"""

from __future__ import annotations

import base64
import json
import re
import time
from pathlib import Path

import httpx
import openai
import pytest

from sora_widgets.profiles import BackendProfile, ModelSpec

from .conftest import image_bytes
from .helpers import probe_mp4

#: The model each dialect serves, with tiny sizes and short clips so the suite stays fast.
MODELS = {
    "litellm": ModelSpec("sora-2", ("160x90", "1280x720"), ("1", "2", "4")),
    "litellm-veo": ModelSpec("veo-3.0-generate-001", ("160x90", "1280x720"), ("4", "6", "8")),
    "vllm-omni": ModelSpec("Wan-AI/Wan2.2-T2V-A14B-Diffusers", ("160x90", "832x480"), ("1", "2")),
    "sglang": ModelSpec("Wan-AI/Wan2.1-T2V-1.3B-Diffusers", ("160x90", "832x480"), ("1", "2")),
    "sglang-i2v": ModelSpec("Wan-AI/Wan2.1-I2V-14B-480P-Diffusers", ("160x90",), ("1",)),
    "reseller": ModelSpec("sora-2", ("160x90", "1280x720"), ("1", "2")),
}
#: What "done" is called in each dialect.
DONE = {"reseller": ("success", "error")}
TERMINAL = ("completed", "failed")
DEADLINE_S = 60.0


@pytest.fixture(scope="module")
def emulators(tmp_path_factory):
    """One emulator per dialect, started on first use and stopped at the end of the module."""
    from sora_widgets import start_emulator

    running = {}

    def get(dialect):
        if dialect not in running:
            spec = MODELS[dialect]
            profile = BackendProfile(f"tiny-{dialect}", (spec,))
            running[dialect] = start_emulator(
                speed=40, seed=3, dialect=dialect, profile=profile, job_duration_s=0.6, max_concurrent_renders=1,
                data_dir=tmp_path_factory.mktemp(dialect.replace("-", "_")),
            )
        return running[dialect]

    yield get
    for emu in running.values():
        emu.stop()


def client_for(emu, **kw):
    return openai.OpenAI(base_url=emu.base_url, api_key=kw.pop("api_key", emu.api_key), max_retries=0, **kw)


def wait_done(client, video_id, dialect):
    """Poll with the SDK until the dialect's terminal status (a deadline, not a sleep, decides when to give up)."""
    terminal = DONE.get(dialect, TERMINAL)
    seen = []
    deadline = time.monotonic() + DEADLINE_S
    while time.monotonic() < deadline:
        video = client.videos.retrieve(video_id)
        seen.append((video.status, video.progress))
        if video.status in terminal:
            return video, seen
        time.sleep(0.05)
    raise AssertionError(f"{video_id} did not finish in {DEADLINE_S} s; seen {seen[-5:]}")


def create(client, dialect, prompt="A red ball bouncing on a blue background", **kw):
    spec = MODELS[dialect]
    return client.videos.create(prompt=prompt, model=spec.name, size=spec.sizes[0], seconds=spec.seconds[0], **kw)


@pytest.fixture()
def emu_client(request, emulators):
    emu = emulators(request.param)
    client = client_for(emu)
    yield request.param, emu, client
    client.close()


def dialect_params(*names):
    return pytest.mark.parametrize("emu_client", names, indirect=True, ids=list(names))


# ---------------------------------------------------------------- the same lifecycle in every accent


@dialect_params("litellm", "litellm-veo", "vllm-omni", "sglang", "reseller")
def test_only_openai_sends_the_poll_hint(emu_client):
    # openai-poll-after-ms is OpenAI's header; none of these carriers sets it (docs/carriers.md says where we looked)
    dialect, _emu, client = emu_client
    raw = client.videos.with_raw_response.retrieve(create(client, dialect).id)
    assert raw.status_code == 200 and "openai-poll-after-ms" not in raw.headers


@dialect_params("litellm", "litellm-veo", "vllm-omni", "sglang", "reseller")
def test_lifecycle_in_every_dialect(emu_client):
    dialect, emu, client = emu_client
    video = create(client, dialect)
    assert video.id and video.model == MODELS[dialect].name
    done, _ = wait_done(client, video.id, dialect)
    assert done.status == DONE.get(dialect, TERMINAL)[0], done
    mp4 = client.videos.download_content(video.id).read()
    info = probe_mp4(mp4)
    assert (info["codec"], info["width"], info["height"]) == ("h264", 160, 90)
    assert info["frames"] == int(MODELS[dialect].seconds[0]) * 24
    assert emu.stats()["config"]["dialect"] == dialect


def test_the_settings_know_every_registered_dialect():
    # the settings check names against config.DIALECT_NAMES (below the dialects); the registry must agree with it
    from sora_widgets.emulator.config import DIALECT_NAMES, EmulatorConfig
    from sora_widgets.emulator.dialects import DIALECTS

    assert tuple(DIALECTS) == DIALECT_NAMES
    assert all(DIALECTS[name].name == name for name in DIALECT_NAMES)
    with pytest.raises(ValueError, match=r"unknown dialect 'nope'; choose one of: openai, litellm, litellm-veo"):
        EmulatorConfig(api_key="k", data_dir=Path("."), dialect="nope")


def test_unknown_dialect_is_refused_before_starting():
    from sora_widgets import start_emulator

    with pytest.raises(ValueError, match=r"unknown dialect 'nope'; choose one of: openai, litellm"):
        start_emulator(dialect="nope")


# ---------------------------------------------------------------- litellm


def decode(video_id):
    assert video_id.startswith("video_")
    return base64.b64decode(video_id[len("video_"):], validate=True).decode()  # standard alphabet, padded


@dialect_params("litellm")
def test_litellm_ids_objects_and_headers(emu_client):
    dialect, _emu, client = emu_client
    raw = client.videos.with_raw_response.create(prompt="A teal cube spinning", model="sora-2", size="160x90",
                                                 seconds="1")
    video = raw.parse()
    assert "openai-poll-after-ms" not in raw.headers
    text = decode(video.id)
    match = re.fullmatch(r"litellm:custom_llm_provider:openai;model_id:([0-9a-f]{32});video_id:(video_[0-9a-f]{48})",
                         text)
    assert match, text
    assert video.id.endswith("=") and len(video.id) > 190  # padding kept; far longer than OpenAI's 54
    assert video.prompt is None  # dropped by the proxy
    assert video.usage == {"duration_seconds": 1.0}  # type: ignore[attr-defined]
    done, _ = wait_done(client, video.id, dialect)
    assert done.prompt is None and done.status == "completed"
    # `variant` is dropped: the MP4 comes back whatever is asked for
    thumb = client.videos.with_raw_response.download_content(video.id, variant="thumbnail")
    assert thumb.headers["content-type"] == "video/mp4"
    assert probe_mp4(thumb.content)["codec"] == "h264"


@dialect_params("litellm")
def test_litellm_routes_and_errors(emu_client):
    dialect, emu, client = emu_client
    video = create(client, dialect)
    with pytest.raises(openai.BadRequestError, match="LLM Provider NOT provided"):
        client.videos.list()
    with pytest.raises(openai.APIStatusError) as err:
        client.videos.delete(video.id)
    assert err.value.status_code == 405
    with pytest.raises(openai.InternalServerError):  # an unknown id is a 500, not a 404
        client.videos.retrieve("video_doesnotexist")
    with client_for(emu, api_key="sk-wrong") as wrong, pytest.raises(openai.BadRequestError) as bad:
        wrong.videos.retrieve(video.id)
    assert "No connected db." in bad.value.message
    names = [m.id for m in client.models.list()]
    assert names == ["sora-2"]


@dialect_params("litellm")
def test_litellm_remix_names_the_raw_upstream_id(emu_client):
    dialect, _emu, client = emu_client
    source, _ = wait_done(client, create(client, dialect).id, dialect)
    remix = client.videos.remix(source.id, prompt="now it is green")
    upstream = decode(source.id).rsplit("video_id:", 1)[1]
    assert remix.remixed_from_video_id == upstream != source.id
    assert decode(remix.id).startswith("litellm:custom_llm_provider:openai;")
    done, _ = wait_done(client, remix.id, dialect)
    assert done.status == "completed"


# ---------------------------------------------------------------- litellm-veo


@dialect_params("litellm-veo")
def test_litellm_veo_processing_without_progress(emu_client):
    dialect, _emu, client = emu_client
    video = create(client, dialect)
    assert video.status == "processing" and video.progress is None
    assert decode(video.id).startswith("litellm:custom_llm_provider:gemini;")
    # the SDK's poller does not know the word: it hands back the unfinished video at once
    polled = client.videos.poll(video.id)
    assert polled.status == "processing"
    done, seen = wait_done(client, video.id, dialect)
    assert {status for status, _ in seen} <= {"processing", "completed"}
    assert all(progress is None for _, progress in seen)
    assert done.status == "completed"


@dialect_params("litellm-veo")
def test_litellm_veo_filtered_job_reads_completed_and_its_content_is_json(emu_client):
    dialect, _emu, client = emu_client
    video = create(client, dialect, prompt="Mario jumping on a mushroom")
    done, _ = wait_done(client, video.id, dialect)
    assert done.status == "completed" and done.error is None  # no failure mapping
    content = client.videos.with_raw_response.download_content(video.id)
    assert content.status_code == 200 and content.headers["content-type"] == "video/mp4"
    body = json.loads(content.content)
    assert "moderation" in body["error"]["message"]


@dialect_params("litellm-veo")
def test_litellm_veo_routes_and_durations(emu_client):
    dialect, _emu, client = emu_client
    with pytest.raises(openai.BadRequestError, match="'4', '6' and '8'"):
        client.videos.create(prompt="a cube", model="veo-3.0-generate-001", size="160x90", seconds="5")
    source, _ = wait_done(client, create(client, dialect).id, dialect)
    with pytest.raises(openai.InternalServerError):
        client.videos.remix(source.id, prompt="green")
    with pytest.raises(openai.BadRequestError):
        client.videos.list()
    with pytest.raises(openai.APIStatusError) as err:
        client.videos.delete(source.id)
    assert err.value.status_code == 405


# ---------------------------------------------------------------- vllm-omni


@dialect_params("vllm-omni")
def test_vllm_omni_ids_model_and_extra_fields(emu_client):
    dialect, _emu, client = emu_client
    video = create(client, dialect)
    assert re.fullmatch(r"video_gen_[0-9a-f]{32}", video.id)
    assert video.inference_time_s is None  # type: ignore[attr-defined]
    with pytest.raises(openai.BadRequestError, match=r"Wan-AI/Wan2\.2-T2V-A14B-Diffusers"):
        client.videos.create(prompt="a cube", model="sora-2", size="160x90", seconds="1")
    done, _ = wait_done(client, video.id, dialect)
    extra = done.model_extra or {}
    assert extra["inference_time_s"] > 0 and extra["peak_memory_mb"] > 0
    assert set(extra["stage_durations"]) == {"text_encoder", "denoise", "vae_decode"}
    with pytest.raises(openai.BadRequestError, match="variant=video"):
        client.videos.download_content(video.id, variant="thumbnail")
    with pytest.raises(openai.NotFoundError):  # no remix route
        client.videos.remix(video.id, prompt="green")
    deleted = client.videos.delete(video.id)
    assert deleted.deleted is True
    with pytest.raises(openai.NotFoundError):
        client.videos.retrieve(video.id)


@dialect_params("vllm-omni")
def test_vllm_omni_sync_returns_the_mp4_and_json_create_is_422(emu_client):
    dialect, _emu, client = emu_client
    spec = MODELS[dialect]
    form = {"prompt": "A yellow star spinning", "model": spec.name, "size": "160x90", "seconds": "1"}
    resp = client.post("/videos/sync", cast_to=httpx.Response, body=form,
                       options={"headers": {"Content-Type": "multipart/form-data"}})
    assert resp.status_code == 200 and resp.headers["content-type"] == "video/mp4"
    assert probe_mp4(resp.content)["frames"] == 24
    assert client.videos.retrieve(resp.headers["x-video-id"]).status == "completed"
    with pytest.raises(openai.UnprocessableEntityError):
        client.post("/videos", cast_to=httpx.Response, body=form)  # JSON: the server reads form fields only


# ---------------------------------------------------------------- sglang


def _wait_rendering(emu):
    """Until the emulator (its own truth, not the API's words) renders and holds nothing queued: the video
    just created, the newest, is rendering."""
    deadline = time.monotonic() + DEADLINE_S
    while True:
        statuses = emu.stats()["statuses"]
        if statuses.get("in_progress", 0) >= 1 and not statuses.get("queued"):
            return
        assert time.monotonic() < deadline, statuses
        time.sleep(0.02)


@dialect_params("sglang")
def test_sglang_says_queued_until_done_and_content_waits(emu_client):
    dialect, emu, client = emu_client
    video = create(client, dialect)
    with pytest.raises(openai.NotFoundError, match="Generation is still in-progress"):
        client.videos.download_content(video.id)
    _wait_rendering(emu)
    assert client.videos.retrieve(video.id).status == "queued", "SGLang never says in_progress"
    done, seen = wait_done(client, video.id, dialect)
    assert {status for status, _ in seen if status != "completed"} == {"queued"}, seen
    assert all(progress == 0 for status, progress in seen if status != "completed")
    assert done.progress == 100
    thumb = client.videos.with_raw_response.download_content(video.id, variant="thumbnail")  # accepted, ignored
    assert thumb.headers["content-type"] == "video/mp4"


@dialect_params("sglang")
def test_sglang_delete_answers_status_and_does_not_abort(emu_client):
    dialect, emu, client = emu_client
    first = create(client, dialect)
    _wait_rendering(emu)  # the API says "queued" throughout
    deleted = client.videos.delete(first.id)
    assert deleted.status == "deleted" and deleted.deleted is None  # type: ignore[attr-defined]
    with pytest.raises(openai.NotFoundError):
        client.videos.retrieve(first.id)
    # the deleted job keeps its render slot (one here): the next job waits for it
    second = create(client, dialect)
    assert client.videos.retrieve(second.id).status == "queued"
    done, seen = wait_done(client, second.id, dialect)
    assert done.status == "completed" and seen[0][0] == "queued"


@dialect_params("sglang-i2v")
def test_sglang_image_to_video_requires_a_reference(emu_client, tmp_path):
    dialect, _emu, client = emu_client
    with pytest.raises(openai.BadRequestError, match="input_reference"):
        create(client, dialect)
    image = tmp_path / "start.png"
    image.write_bytes(image_bytes(160, 90, "PNG"))
    with open(image, "rb") as fh:
        video = create(client, dialect, input_reference=fh)
    done, _ = wait_done(client, video.id, dialect)
    assert done.status == "completed"


# ---------------------------------------------------------------- reseller


@dialect_params("reseller")
def test_reseller_words_milliseconds_and_fractions(emu_client):
    dialect, _emu, client = emu_client
    video = create(client, dialect)
    assert video.status == "pending" and video.progress == 0
    assert video.created_at > 10**12  # milliseconds
    assert client.videos.poll(video.id).status in ("pending", "processing")  # the SDK stops at unknown words
    done, seen = wait_done(client, video.id, dialect)
    assert {status for status, _ in seen} <= {"pending", "processing", "success"}
    assert all(0 <= progress <= 1 for _, progress in seen)
    assert done.progress == 1
    assert done.completed_at is not None and done.completed_at >= done.created_at > 10**12
    assert done.expires_at is not None and done.expires_at - done.completed_at == round(3600 / 40) * 1000
    blocked = create(client, dialect, prompt="Pikachu dancing")
    failed, _ = wait_done(client, blocked.id, dialect)
    assert failed.status == "error" and failed.error is not None and failed.error.code == "moderation_blocked"
