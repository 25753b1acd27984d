"""The seed document's four test cases, verbatim, through the official SDK against the emulator."""

from __future__ import annotations

import openai
import pytest

from .helpers import probe_mp4


def test_1_simple_text_to_video(sdk):
    # the seed sends `seconds: 4` (a number); the Python SDK sends multipart text, which the API accepts
    test1 = sdk.videos.create(model="sora-2", prompt="A spinning red cube on a white background", size="1280x720",
                              seconds=4)
    assert test1.status == "queued" and test1.seconds == "4" and test1.size == "1280x720"
    done = sdk.videos.poll(test1.id)
    assert done.status == "completed", done.error
    info = probe_mp4(sdk.videos.download_content(done.id).read())
    assert (info["width"], info["height"], info["frames"]) == (1280, 720, 96)


def test_2_image_to_video(sdk, burger_jpg):
    with open(burger_jpg, "rb") as fh:
        test2 = sdk.videos.create(model="sora-2", prompt="The dish spins slowly, steam rises", input_reference=fh,
                                  size="1280x720", seconds=8)
    done = sdk.videos.poll(test2.id)
    assert done.status == "completed", done.error
    info = probe_mp4(sdk.videos.download_content(done.id).read())
    assert (info["width"], info["height"], info["frames"]) == (1280, 720, 192)


def test_3_high_quality_verbatim_is_rejected(sdk):
    # 1920x1080 is not in the spec (DESIGN.md §1): 400 naming `size` and the allowed sizes
    with pytest.raises(openai.BadRequestError) as exc:
        sdk.videos.create(model="sora-2-pro", prompt="Cinematic shot of cozy restaurant", size="1920x1080", seconds=12)
    err = exc.value.body
    assert err["param"] == "size"
    assert "1920x1080" in err["message"] and "1792x1024" in err["message"] and "720x1280" in err["message"]


def test_3_high_quality_with_a_spec_size(sdk):
    test3 = sdk.videos.create(model="sora-2-pro", prompt="Cinematic shot of cozy restaurant", size="1792x1024",
                              seconds=12)
    assert test3.model == "sora-2-pro" and test3.size == "1792x1024" and test3.seconds == "12"
    done = sdk.videos.poll(test3.id)
    assert done.status == "completed", done.error
    info = probe_mp4(sdk.videos.download_content(done.id).read())
    assert (info["width"], info["height"], info["frames"]) == (1792, 1024, 288)


def test_4_content_policy(sdk):
    test4 = sdk.videos.create(model="sora-2", prompt="Mario jumping on a mushroom", size="1280x720", seconds=4)
    assert test4.status == "queued"  # accepted first, like the real API
    done = sdk.videos.poll(test4.id)
    assert done.status == "failed"
    assert done.error is not None and done.error.code == "moderation_blocked"
    assert "prompt" in done.error.message
    with pytest.raises(openai.NotFoundError):
        sdk.videos.download_content(done.id)
