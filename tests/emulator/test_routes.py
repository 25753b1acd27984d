"""Every route through the official SDK over real HTTP, and the objects in the spec's shapes."""

from __future__ import annotations

import io

import httpx
import openai
import pytest
from PIL import Image

from sora_widgets import media

from .conftest import image_bytes
from .helpers import moov_before_mdat, probe_mp4

VIDEO_KEYS = {"id", "object", "model", "status", "progress", "created_at", "completed_at", "expires_at", "prompt",
              "size", "seconds", "remixed_from_video_id", "error"}


def raw(emu, method, path, **kw):
    headers = kw.pop("headers", {"Authorization": f"Bearer {emu.api_key}"})
    return httpx.request(method, emu.base_url + path, headers=headers, timeout=30, **kw)


def test_create_and_poll_then_all_three_downloads(sdk, emulator):
    video = sdk.videos.create_and_poll(prompt="A golden star pulsing in space", model="sora-2", size="720x1280",
                                       seconds="4")
    assert video.status == "completed" and video.progress == 100
    assert video.completed_at is not None and video.expires_at is not None
    assert video.expires_at - video.completed_at == round(3600 / 40)

    mp4 = sdk.videos.download_content(video.id).read()
    info = probe_mp4(mp4)
    assert info["codec"] == "h264" and info["pix_fmt"] == "yuv420p"
    assert (info["width"], info["height"]) == (720, 1280)
    assert info["fps"] == 24 and info["frames"] == 96
    assert abs(info["duration"] - 4.0) < 0.05
    assert moov_before_mdat(mp4)

    thumb = sdk.videos.with_raw_response.download_content(video.id, variant="thumbnail")
    assert thumb.headers["content-type"] == "image/webp"
    data = thumb.content
    assert data[:4] == b"RIFF" and data[8:12] == b"WEBP"
    assert Image.open(io.BytesIO(data)).size == media.thumbnail_size(720, 1280)
    assert (int(thumb.headers["x-thumbnail-width"]), int(thumb.headers["x-thumbnail-height"])) == \
        media.thumbnail_size(720, 1280)

    sheet = sdk.videos.with_raw_response.download_content(video.id, variant="spritesheet")
    assert sheet.headers["content-type"] == "image/jpeg"
    assert sheet.content[:3] == b"\xff\xd8\xff"
    geometry = media.SpriteGeometry.from_headers(sheet.headers)
    assert geometry == media.sprite_geometry(720, 1280, 4.0)
    assert Image.open(io.BytesIO(sheet.content)).size == geometry.sheet_size

    # accept headers real clients send
    resp = raw(emulator, "GET", f"/videos/{video.id}/content",
               headers={"Authorization": f"Bearer {emulator.api_key}", "Accept": "*/*"})
    assert resp.status_code == 200 and resp.content == mp4
    assert resp.headers["x-video-width"] == "720" and resp.headers["x-video-frames"] == "96"


def test_video_object_shape_and_poll_header(emulator):
    resp = raw(emulator, "POST", "/videos", files={"prompt": (None, "A teal ring orbiting")})
    assert resp.status_code == 200
    body = resp.json()
    assert set(body) == VIDEO_KEYS
    assert body["object"] == "video" and body["status"] == "queued" and body["progress"] == 0
    assert body["model"] == "sora-2" and body["size"] == "720x1280" and body["seconds"] == "4"  # defaults
    assert body["id"].startswith("video_")
    assert int(resp.headers["openai-poll-after-ms"]) == 50  # 2000 / speed 40
    got = raw(emulator, "GET", f"/videos/{body['id']}").json()
    assert set(got) == VIDEO_KEYS


def test_progress_rises(tiny_emulator, tiny):
    # a slow job on its own emulator would be cleaner, but the tiny one at speed 40 still shows a rise
    video = tiny.videos.create(prompt="slow", size="160x90", seconds="4", model="sora-2-pro")
    seen = []
    while True:
        v = tiny.videos.retrieve(video.id)
        seen.append((v.status, v.progress))
        if v.status in ("completed", "failed"):
            break
    statuses = [s for s, _ in seen]
    assert statuses[-1] == "completed"
    assert "in_progress" in statuses
    progresses = [p for _, p in seen]
    assert progresses == sorted(progresses)
    assert any(0 < p < 100 for s, p in seen if s == "in_progress")


def test_list_pages_with_after_limit_order(tiny):
    ids = [tiny.videos.create(prompt=f"page item {i}", size="160x90", seconds="1").id for i in range(7)]
    page = tiny.videos.list(limit=3, order="desc")
    assert len(page.data) == 3 and page.has_more
    walked = [v.id for v in tiny.videos.list(limit=3, order="desc")]  # the SDK follows `after`
    mine = [i for i in walked if i in ids]
    assert mine == ids[::-1]
    asc = [v.id for v in tiny.videos.list(limit=100, order="asc")]
    assert [i for i in asc if i in ids] == ids
    # envelope
    first = tiny.videos.list(limit=2, order="asc", after=ids[2])
    assert [v.id for v in first.data] == ids[3:5]
    assert first.first_id == ids[3] and first.last_id == ids[4]  # type: ignore[attr-defined]
    empty = tiny.videos.list(limit=0)
    assert empty.data == []


def test_remix_is_a_variation_of_its_source(tiny):
    src = tiny.videos.create_and_poll(prompt="A red cube spinning on a white background", size="160x90", seconds="1")
    remix = tiny.videos.remix(src.id, prompt="Make it blue and bouncing")
    assert remix.remixed_from_video_id == src.id
    assert remix.size == src.size and remix.seconds == src.seconds and remix.model == src.model
    done = tiny.videos.poll(remix.id)
    assert done.status == "completed"
    a = tiny.videos.download_content(src.id).read()
    b = tiny.videos.download_content(remix.id).read()
    assert a != b


def test_remix_source_must_be_completed_and_exist(tiny):
    pending = tiny.videos.create(prompt="not done yet", size="160x90", seconds="4", model="sora-2-pro")
    with pytest.raises(openai.BadRequestError):
        tiny.videos.remix(pending.id, prompt="again")
    with pytest.raises(openai.NotFoundError):
        tiny.videos.remix("video_doesnotexist", prompt="again")


def test_delete(tiny):
    video = tiny.videos.create_and_poll(prompt="to be deleted", size="160x90", seconds="1")
    deleted = tiny.videos.delete(video.id)
    assert deleted.id == video.id and deleted.deleted is True and deleted.object == "video.deleted"
    with pytest.raises(openai.NotFoundError):
        tiny.videos.retrieve(video.id)
    with pytest.raises(openai.NotFoundError):
        tiny.videos.download_content(video.id)
    with pytest.raises(openai.NotFoundError):
        tiny.videos.delete(video.id)
    assert video.id not in [v.id for v in tiny.videos.list(limit=100)]


def test_edit_and_extend(tiny):
    src = tiny.videos.create_and_poll(prompt="A green ball", size="160x90", seconds="1")
    edited = tiny.videos.edit(prompt="add a yellow star", video=tiny.videos.download_content(src.id).read())
    done = tiny.videos.poll(edited.id)
    assert done.status == "completed" and done.size == "160x90" and done.seconds == "1"
    ext = tiny.videos.extend(prompt="it keeps rolling", seconds="2",
                             video=("clip.mp4", tiny.videos.download_content(src.id).read(), "video/mp4"))
    assert ext.seconds == "3"  # the stitched total
    done = tiny.videos.poll(ext.id)
    assert done.status == "completed"
    info = probe_mp4(tiny.videos.download_content(done.id).read())
    assert info["frames"] == 72 and (info["width"], info["height"]) == (160, 90)


def test_edit_and_extend_by_id_json(tiny_emulator, tiny):
    src = tiny.videos.create_and_poll(prompt="A purple triangle", size="160x90", seconds="1")
    resp = raw(tiny_emulator, "POST", "/videos/extensions",
               json={"prompt": "more", "seconds": "1", "video": {"id": src.id}})
    assert resp.status_code == 200, resp.text
    assert resp.json()["seconds"] == "2"
    resp = raw(tiny_emulator, "POST", "/videos/edits", json={"prompt": "in blue", "video": {"id": src.id}})
    assert resp.status_code == 200, resp.text
    resp = raw(tiny_emulator, "POST", "/videos/edits", json={"prompt": "in blue", "video": {"id": "video_nope"}})
    assert resp.status_code == 404


def test_json_create_with_data_url_reference(tiny_emulator, tiny):
    import base64

    png = image_bytes(160, 90, "PNG", (10, 200, 30))
    url = "data:image/png;base64," + base64.b64encode(png).decode()
    resp = raw(tiny_emulator, "POST", "/videos",
               json={"prompt": "the field sways", "size": "160x90", "seconds": "1",
                     "input_reference": {"image_url": url}})
    assert resp.status_code == 200, resp.text
    done = tiny.videos.poll(resp.json()["id"])
    assert done.status == "completed"
    # the reference is the first frame
    import av

    with av.open(io.BytesIO(tiny.videos.download_content(done.id).read())) as c:
        first = next(c.decode(video=0)).to_ndarray(format="rgb24")
    assert abs(int(first[45, 80, 0]) - 10) < 12 and abs(int(first[45, 80, 1]) - 200) < 12


def test_characters(tiny_emulator, tiny):
    src = tiny.videos.create_and_poll(prompt="A character", size="160x90", seconds="1")
    mp4 = tiny.videos.download_content(src.id).read()
    resp = raw(tiny_emulator, "POST", "/videos/characters", files={"video": ("c.mp4", mp4, "video/mp4")},
               data={"name": "Blob"})
    assert resp.status_code == 200, resp.text
    char = resp.json()
    assert set(char) == {"id", "name", "created_at"} and char["name"] == "Blob"
    got = raw(tiny_emulator, "GET", f"/videos/characters/{char['id']}")
    assert got.json() == char
    assert raw(tiny_emulator, "GET", "/videos/characters/char_nope").status_code == 404


def test_stats(tiny_emulator, tiny):
    before = tiny_emulator.stats()
    video = tiny.videos.create(prompt="counted", size="160x90", seconds="1")
    tiny.videos.retrieve(video.id)
    tiny.videos.list(limit=1)
    after = tiny_emulator.stats()
    assert after["create"] == before["create"] + 1
    assert after["retrieve"] == before["retrieve"] + 1
    assert after["list"] == before["list"] + 1
    assert after["videos"] == before["videos"] + 1
    tiny.videos.delete(video.id)
    assert tiny_emulator.stats()["videos"] == before["videos"]


def test_remix_of_a_remix(tiny):
    src = tiny.videos.create_and_poll(prompt="A white star on a black background", size="160x90", seconds="1")
    first = tiny.videos.poll(tiny.videos.remix(src.id, prompt="make it red").id)
    second = tiny.videos.poll(tiny.videos.remix(first.id, prompt="now spinning").id)
    assert second.status == "completed" and second.remixed_from_video_id == first.id
    blobs = {tiny.videos.download_content(v.id).read() for v in (src, first, second)}
    assert len(blobs) == 3


def test_reference_image_moderation_names_the_input(tiny):
    from .conftest import image_bytes

    video = tiny.videos.create(prompt="A portrait comes alive", size="160x90", seconds="1",
                               input_reference=("my-face.jpg", image_bytes(160, 90), "image/jpeg"))
    done = tiny.videos.poll(video.id)
    assert done.status == "failed" and done.error.code == "moderation_blocked"
    assert "input_reference" in done.error.message


def test_json_reference_from_a_loopback_url(tiny_emulator, tmp_path):
    import functools
    import http.server
    import threading

    (tmp_path / "ref.png").write_bytes(image_bytes(160, 90, "PNG"))
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
    handler.log_message = lambda *a, **k: None  # type: ignore[method-assign]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/ref.png"
        resp = raw(tiny_emulator, "POST", "/videos", json={"prompt": "from a URL", "size": "160x90", "seconds": "1",
                                                           "input_reference": {"image_url": url}})
        assert resp.status_code == 200, resp.text
        missing = raw(tiny_emulator, "POST", "/videos", json={"prompt": "x", "size": "160x90", "seconds": "1",
                                                              "input_reference": {"image_url": url + ".nope"}})
        assert missing.status_code == 400 and missing.json()["error"]["param"] == "input_reference.image_url"
    finally:
        server.shutdown()
        server.server_close()


def test_an_upload_aborted_mid_body_does_not_hurt_the_server(tiny_emulator):
    import socket

    host, port = tiny_emulator.host, tiny_emulator.port
    body_start = (b"--xyz\r\nContent-Disposition: form-data; name=\"prompt\"\r\n\r\nhalf\r\n--xyz\r\n"
                  b"Content-Disposition: form-data; name=\"input_reference\"; filename=\"a.png\"\r\n"
                  b"Content-Type: image/png\r\n\r\n" + b"\x89PNG" + b"\0" * 1000)
    head = (f"POST /v1/videos HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {tiny_emulator.api_key}\r\n"
            f"Content-Type: multipart/form-data; boundary=xyz\r\nContent-Length: 5000000\r\n\r\n").encode()
    with socket.create_connection((host, port)) as sock:
        sock.sendall(head + body_start)
    for _ in range(3):
        assert raw(tiny_emulator, "GET", "/videos?limit=1").status_code == 200


def test_profile_features_shape_the_api():
    from sora_widgets import start_emulator
    from sora_widgets.profiles import BackendProfile, ModelSpec

    veo_like = BackendProfile(name="veo-like", models=(ModelSpec("veo-x", ("160x90",), ("1",)),), features=frozenset(),
                              open_models=True)
    with start_emulator(speed=40, profile=veo_like) as emu:
        sdk = openai.OpenAI(base_url=emu.base_url, api_key=emu.api_key, max_retries=0)
        created = raw(emu, "POST", "/videos", json={"prompt": "a river", "model": "any-gateway-model"})
        assert created.status_code == 200, created.text
        body = created.json()
        assert "progress" not in body and body["size"] == "160x90"
        video = sdk.videos.poll(body["id"])
        assert video.status == "completed"
        mp4 = sdk.videos.download_content(video.id).read()
        assert sdk.videos.download_content(video.id, variant="thumbnail").read() == mp4  # variant ignored
        for method, path in (("GET", "/videos"), ("DELETE", f"/videos/{video.id}"),
                             ("POST", f"/videos/{video.id}/remix")):
            resp = raw(emu, method, path, json={"prompt": "x"} if method == "POST" else None)
            assert resp.status_code == 404 and resp.json()["error"]["message"].startswith("Invalid URL")
