"""``--dialect gemini`` driven end to end by Google's official client, ``google-genai``.

The client is pointed at the emulator with ``http_options.base_url`` (Developer API mode, ``x-goog-api-key``).
google-genai 3.x dropped Veo from the Developer API client ("only Gemini Enterprise Agent Platform supports video
generation"), so the test extra pins ``google-genai<3``; 2.x speaks exactly the ``v1beta`` surface emulated here.
"""

from __future__ import annotations

import io
import re
import time

import av
import httpx
import numpy as np
import pytest
from google import genai
from google.genai import errors, types

from .conftest import image_bytes

DEADLINE_S = 90.0


@pytest.fixture(scope="module")
def gemini_emulator(tmp_path_factory):
    from sora_widgets import start_emulator

    with start_emulator(speed=40, seed=5, dialect="gemini", data_dir=tmp_path_factory.mktemp("gemini")) as emu:
        yield emu


@pytest.fixture()
def client(gemini_emulator):
    return genai.Client(api_key=gemini_emulator.api_key, vertexai=False,
                        http_options=types.HttpOptions(base_url=gemini_emulator.root_url))


def until_done(client, operation):
    deadline = time.monotonic() + DEADLINE_S
    while not operation.done:
        assert time.monotonic() < deadline, f"{operation.name} not done in {DEADLINE_S} s"
        time.sleep(0.1)
        operation = client.operations.get(operation)
    return operation


def decode(data: bytes) -> dict:
    with av.open(io.BytesIO(data)) as container:
        video = container.streams.video[0]
        out = {"video": video.codec_context.name, "size": (video.codec_context.width, video.codec_context.height),
               "audio": None}
        frames = sum(1 for _ in container.decode(video=0))
        out["frames"] = frames
    with av.open(io.BytesIO(data)) as container:
        if container.streams.audio:
            stream = container.streams.audio[0]
            samples = np.concatenate([f.to_ndarray().reshape(-1) for f in container.decode(audio=0)])
            out["audio"] = stream.codec_context.name
            out["audio_s"] = len(samples) / stream.codec_context.sample_rate
            out["rms"] = float(np.sqrt(np.mean(samples.astype(np.float64) ** 2)))
    return out


def test_generate_poll_download_an_mp4_with_audio(client, gemini_emulator):
    operation = client.models.generate_videos(
        model="veo-3.0-generate-001",
        source=types.GenerateVideosSource(prompt="A golden ball bouncing on a teal background"),
        config=types.GenerateVideosConfig(duration_seconds=4, aspect_ratio="16:9", resolution="720p"),
    )
    assert re.fullmatch(r"models/veo-3\.0-generate-001/operations/[a-z0-9]+", operation.name)
    assert not operation.done
    done = until_done(client, operation)
    assert done.error is None and done.response is not None
    sample = done.response.generated_videos[0]
    assert re.fullmatch(r"https://127\.0\.0\.1:\d+/v1beta/files/[a-z0-9]+:download\?alt=media", sample.video.uri)
    data = client.files.download(file=sample.video)
    assert sample.video.video_bytes == data  # the client fills the Video in place, as documented
    info = decode(data)
    assert info["video"] == "h264" and info["size"] == (1280, 720) and info["frames"] == 96
    assert info["audio"] == "aac" and abs(info["audio_s"] - 4.0) < 0.1 and info["rms"] > 0.01
    assert gemini_emulator.stats()["config"]["dialect"] == "gemini"


def test_filtered_result_is_done_without_a_video(client):
    operation = client.models.generate_videos(model="veo-3.0-generate-001",
                                              source=types.GenerateVideosSource(prompt="Mario jumping on a pipe"))
    done = until_done(client, operation)
    assert done.error is None
    assert not done.response.generated_videos
    assert done.response.rai_media_filtered_count == 1
    assert "Mario" in done.response.rai_media_filtered_reasons[0]


def test_image_to_video_and_bad_parameters(client):
    image = types.Image(image_bytes=image_bytes(720, 1280, "PNG"), mime_type="image/png")
    operation = client.models.generate_videos(
        model="veo-3.0-fast-generate-001",
        source=types.GenerateVideosSource(prompt="the colour slowly pulses", image=image),
        config=types.GenerateVideosConfig(duration_seconds=4, aspect_ratio="9:16"),
    )
    done = until_done(client, operation)
    assert decode(client.files.download(file=done.response.generated_videos[0].video))["size"] == (720, 1280)
    with pytest.raises(errors.ClientError, match="durationSeconds 5") as err:
        client.models.generate_videos(model="veo-3.0-generate-001", source=types.GenerateVideosSource(prompt="x"),
                                      config=types.GenerateVideosConfig(duration_seconds=5))
    assert err.value.code == 400 and err.value.status == "INVALID_ARGUMENT"
    with pytest.raises(errors.ClientError) as missing:
        client.models.generate_videos(model="veo-9", source=types.GenerateVideosSource(prompt="x"))
    assert missing.value.code == 404


def test_the_key_is_required_in_header_or_query(client, gemini_emulator):
    operation = until_done(client, client.models.generate_videos(
        model="veo-3.0-generate-001", source=types.GenerateVideosSource(prompt="A red cube spinning"),
        config=types.GenerateVideosConfig(duration_seconds=4)))
    wrong = genai.Client(api_key="not-the-key", vertexai=False,
                         http_options=types.HttpOptions(base_url=gemini_emulator.root_url))
    with pytest.raises(errors.ClientError, match="API key not valid") as err:
        wrong.operations.get(operation)
    assert err.value.code == 400
    file_id = operation.response.generated_videos[0].video.uri.split("/files/")[1].split(":")[0]
    url = f"{gemini_emulator.root_url}/v1beta/files/{file_id}:download"
    assert httpx.get(url, params={"alt": "media"}).status_code == 403  # no key
    resp = httpx.get(url, params={"alt": "media", "key": gemini_emulator.api_key})
    assert resp.status_code == 200 and resp.headers["content-type"] == "video/mp4"
    assert resp.content == client.files.download(file=operation.response.generated_videos[0].video)


def test_faults_apply_to_the_provider_api_too(tmp_path):
    from sora_widgets import start_emulator

    with start_emulator(speed=40, seed=2, dialect="gemini", lost_create_rate=1.0, data_dir=tmp_path) as emu:
        client = genai.Client(api_key=emu.api_key, vertexai=False,
                              http_options=types.HttpOptions(base_url=emu.root_url, retry_options=None))
        with pytest.raises((errors.ServerError, httpx.TransportError)):
            client.models.generate_videos(model="veo-3.0-generate-001", source=types.GenerateVideosSource(prompt="x"),
                                          config=types.GenerateVideosConfig(duration_seconds=4))
        stats = emu.stats()
        assert stats["faults"]["lost_create"] >= 1
        assert stats["videos"] == stats["faults"]["lost_create"]  # the job exists although the client saw a failure
