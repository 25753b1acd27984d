"""Gallery on the real engine + emulator: journaled jobs, live updates, lazy media, one comm."""

from __future__ import annotations

import pytest
from widget_testing import state_text, wait_until


def test_gallery_lists_jobs_of_earlier_sessions_newest_first(emulator, tmp_path, frontend):
    import sora_widgets as sw
    from sora_widgets import api

    home = tmp_path / "home"
    sw.configure(base_url=emulator.base_url, api_key=emulator.api_key, home=home)
    old = [
        sw.submit(f"Wide shot of a lighthouse number {i} at dusk, waves crash", seconds="4") for i in range(2)
    ]
    for job in old:
        job.wait(120)
    ids = [job.id for job in old]
    # a new session (new engine, same journal)
    api.reset()
    sw.configure(base_url=emulator.base_url, api_key=emulator.api_key, home=home)
    gallery = sw.Gallery()
    assert [item["job_id"] for item in gallery.items] == ids[::-1]
    assert all(item["status"] == "completed" and item["has_thumbnail"] for item in gallery.items)
    fe = frontend(gallery)
    result, buffers = fe.ok("media", job_id=ids[0], variant="thumbnail")
    assert result["mime"] == "image/webp" and buffers[0][8:12] == b"WEBP"
    assert "is not shown in this Gallery" in fe.error("media", job_id="job_nope", variant="thumbnail")
    # previews: many jobs' thumbnails (or spritesheets) in one reply, one buffer per job found, in order
    result, buffers = fe.ok("previews", job_ids=[ids[1], "job_nope", ids[0], ids[1]], variant="thumbnail")
    assert [it["job_id"] for it in result["items"]] == [ids[1], ids[0]]
    assert [it["mime"] for it in result["items"]] == ["image/webp", "image/webp"]
    assert [len(b) for b in buffers] == [it["bytes"] for it in result["items"]]
    assert buffers[1] == old[0].thumbnail_path.read_bytes()
    assert list(result["missing"]) == ["job_nope"] and "not shown" in result["missing"]["job_nope"]
    result, buffers = fe.ok("previews", job_ids=ids, variant="spritesheet")
    assert [it["mime"] for it in result["items"]] == ["image/jpeg", "image/jpeg"]
    assert buffers[0] == old[0].spritesheet_path.read_bytes() and buffers[0][:2] == b"\xff\xd8"
    assert "videos go one at a time" in fe.error("previews", job_ids=ids, variant="video")
    assert "list of job id strings" in fe.error("previews", job_ids=ids[0], variant="thumbnail")
    assert "at most 200" in fe.error(
        "previews", job_ids=[f"job_{i}" for i in range(201)], variant="thumbnail"
    )
    assert emulator.api_key not in state_text(gallery)
    gallery.close()


def test_new_jobs_appear_at_the_top_and_go_live(configured, frontend):
    sw = configured
    gallery = sw.Gallery()
    assert gallery.items == []
    job = sw.submit(
        "Tracking shot of a cyclist that races along a coastal road, bright noon light", seconds="4"
    )
    wait_until(lambda: gallery.items and gallery.items[0]["job_id"] == job.id, what="new job listed")
    job.wait(120)
    wait_until(lambda: gallery.items[0]["status"] == "completed", what="gallery shows completed")
    assert gallery.live == {}
    # remix from the gallery: a new item at the top
    fe = frontend(gallery)
    result, _ = fe.ok("remix", job_id=job.id, prompt="The same road in heavy rain at night")
    wait_until(lambda: gallery.items[0]["job_id"] == result["job_id"], what="remix listed first")
    assert gallery.items[0]["remixed_from"] == job.id
    gallery.jobs[0].wait(120)
    # delete: the item leaves the gallery
    fe.ok("delete", job_id=job.id)
    wait_until(lambda: job.id not in [i["job_id"] for i in gallery.items], what="deleted item removed")
    assert len(gallery.items) == 1
    gallery.close()


def test_gallery_options_are_checked(configured):
    sw = configured
    with pytest.raises(TypeError, match=r"allowed: layout, model_filter, page_size, search, status_filter"):
        sw.Gallery(filter="x")
    with pytest.raises(Exception, match="page_size must be between 1 and 200"):
        sw.Gallery(page_size=0)
    with pytest.raises(Exception, match="status_filter"):
        sw.Gallery(status_filter="done")
    gallery = sw.Gallery(status_filter="failed", search="burger", page_size=12)
    assert (gallery.status_filter, gallery.search, gallery.page_size) == ("failed", "burger", 12)
    gallery.close()
