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
    with pytest.raises(TypeError, match=r"allowed: backend_filter, cost_max, cost_min, created_from, created_to, layout"):
        sw.Gallery(filter="x")
    with pytest.raises(Exception, match="page_size must be between 1 and 200"):
        sw.Gallery(page_size=0)
    with pytest.raises(Exception, match="status_filter"):
        sw.Gallery(status_filter="done")
    with pytest.raises(Exception, match="sort_by"):
        sw.Gallery(sort_by="name")
    gallery = sw.Gallery(status_filter="failed", search="burger", page_size=12)
    assert (gallery.status_filter, gallery.search, gallery.page_size) == ("failed", "burger", 12)
    gallery.status_filter = "cancelled"  # its own filter: cancelled jobs are not failures
    assert gallery.total == 0 and "cancelled" in gallery.facets["status"]
    gallery.close()


def _journal_many(sw, count: int, *, like) -> list[str]:
    """``count`` completed jobs straight through the journal (copies of ``like``'s row and media), newest last."""
    from sora_widgets import api

    journal = api.session().journal
    base = journal.get(like.id)
    ids = []
    with journal.lock():
        journal.raw().execute("BEGIN")
        for i in range(count):
            ids.append(f"job_bulk{i:05d}")
            colour = ("red", "green", "blue")[i % 3]
            row = {**base, "id": ids[-1], "video_id": f"video_bulk{i:05d}", "created_at": base["created_at"] + 1 + i,
                   "prompt": f"Bulk clip {i}: a {colour} kite over the dunes", "cost_usd": 0.1 * (i % 7)}  # fmt: skip
            row.pop("updated_at", None)
            journal.insert(row)
        journal.raw().execute("COMMIT")
    return ids


def test_gallery_sends_windows_of_the_journal_and_searches_it(configured, frontend):
    sw = configured
    first = sw.submit("Macro shot of dew on a spider web at sunrise", seconds="4")
    first.wait(120)
    ids = _journal_many(sw, 300, like=first)
    gallery = sw.Gallery(page_size=10)
    # the traits carry the first screen and the counts, never every job
    assert gallery.total == 301 and gallery.all_count == 301
    assert [it["job_id"] for it in gallery.items] == ids[::-1][:10]
    assert gallery.facets["status"]["completed"] == 301
    fe = frontend(gallery)
    result, _ = fe.ok("window", offset=295, limit=50)
    assert result["total"] == 301 and result["revision"] == gallery.revision and result["offset"] == 295
    assert [it["job_id"] for it in result["items"]] == [*ids[4::-1], first.id]
    assert all(it["has_thumbnail"] for it in result["items"])
    assert fe.ok("locate", job_id=first.id)[0]["index"] == 300
    assert fe.ok("locate", job_id="job_nope")[0]["index"] is None
    assert "limit <= 500" in fe.error("window", offset=0, limit=501)
    assert "offset >= 0" in fe.error("window", offset=-1, limit=5)
    # search, filters and sort are traits both ways: a new revision, count and first window
    before = gallery.revision
    gallery.search = "green kite"
    assert gallery.revision > before and gallery.total == 100
    assert all("green kite" in it["prompt"] for it in gallery.items)
    gallery.search = 'green" OR "red'  # user text is never FTS syntax
    assert gallery.total == 0
    gallery.search = ""
    gallery.cost_max = 0.05  # cost_usd 0.0 every 7th job (the first one's own is priced by the profile)
    assert gallery.total == len(ids[::7])
    gallery.cost_max = None
    gallery.sort_by, gallery.sort_desc = "date", False
    assert gallery.items[0]["job_id"] == first.id
    assert fe.ok("window", offset=1, limit=1)[0]["items"][0]["job_id"] == ids[0]
    # previews of rows scrolled past do not keep a job object each in the session
    from sora_widgets import api

    fe.ok("previews", job_ids=ids[100:150], variant="thumbnail")
    assert api.session().known(ids[120]) is None
    # actions still go to the one object of the job
    result, buffers = fe.ok("media", job_id=ids[120], variant="thumbnail")
    assert buffers[0] == first.thumbnail_path.read_bytes()
    assert api.session().known(ids[120]) is not None
    gallery.status_filter = "failed"
    assert gallery.total == 0 and gallery.items == [] and gallery.facets["status"]["completed"] == 301
    gallery.close()
