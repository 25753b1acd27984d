"""Widgets and ``sw.configure()``: profile from ``backend_info()``, "mine" by backend key, following the new
engine's jobs after the old one is swapped out. Real engine, real emulator."""

from __future__ import annotations

import sqlite3

from widget_testing import wait_until

from sora_widgets.profiles import BackendProfile, ModelSpec

PROMPT = "Wide shot of a red kite over green hills, slow pan, soft morning light"


def test_unregistered_profile_comes_from_backend_info_without_building_the_engine(emulator, tmp_path):
    import sora_widgets as sw
    from sora_widgets import api

    private = BackendProfile(
        name="widgets-unregistered",
        models=(ModelSpec("kite-1", ("160x90",), ("1", "2"), {"*": 0.02}),),
        description="never registered",
    )
    sw.configure(base_url=emulator.base_url, api_key=emulator.api_key, home=tmp_path, profile=private)
    panel = sw.GeneratorPanel()
    gallery = sw.Gallery()
    assert panel._profile["name"] == "widgets-unregistered"
    assert [m["name"] for m in panel._profile["models"]] == ["kite-1"]
    assert panel._costs == {"kite-1|160x90|1": 0.02, "kite-1|160x90|2": 0.04}
    # no widget builds the engine (the profile comes from sw.backend_info()["profile_object"])
    assert api.session().current_engine() is None
    panel.close()
    gallery.close()


def _journal_label(home, job_id, label):
    db = sqlite3.connect(home / "jobs.sqlite3")
    try:
        db.execute("UPDATE jobs SET backend_label = ? WHERE id = ?", (label, job_id))
        db.commit()
    finally:
        db.close()


def test_actions_follow_the_backend_key_not_the_label(emulator, tmp_path):
    import sora_widgets as sw
    from sora_widgets import api

    home = tmp_path / "home"
    sw.configure(base_url=emulator.base_url, api_key=emulator.api_key, home=home)
    job = sw.generate(PROMPT, seconds="4")
    api.reset()
    # journaled before labels carried the port: same backend, label without ":port"
    _journal_label(home, job.id, "127.0.0.1")
    sw.configure(base_url=emulator.base_url, api_key=emulator.api_key, home=home)
    assert sw.backend_info()["label"] != "127.0.0.1"
    gallery = sw.Gallery()
    card = sw.VideoCard(job.id)
    item = gallery.items[0]
    assert item["backend"] == "127.0.0.1"
    assert item["can_delete"] and item["can_remix"], item
    assert card.can_delete and card.can_remix
    # another backend (the embedded emulator's key) with this very label: no actions
    sw.configure(base_url="emulator")
    gallery.reload()
    assert not gallery.items[0]["can_delete"] and not gallery.items[0]["can_remix"]
    gallery.close()
    card.close()


def test_panel_keeps_its_job_objects_across_configure(configured, frontend, emulator, tmp_path):
    sw = configured
    panel = sw.GeneratorPanel()
    fe = frontend(panel)
    fe.ok("submit", prompt=PROMPT, model="sora-2", size="1280x720", seconds="4")
    old = panel.jobs[0]
    old.wait(120)
    wait_until(lambda: panel.items[0]["status"] == "completed", what="first card completed")
    # a new engine (same backend and journal): the job object is the same one
    sw.configure(base_url=emulator.base_url, api_key=emulator.api_key, home=tmp_path / "home")
    assert sw.get_job(old.id) is old
    result, _ = fe.ok("remix", job_id=old.id, prompt="The same hills under a storm at night")
    assert [j.id for j in panel.jobs] == [result["job_id"], old.id]
    assert panel.jobs[1] is old
    wait_until(lambda: panel.items[0]["status"] == "completed", timeout=120, what="remix completed")
    panel.close()


def test_a_job_in_flight_keeps_moving_in_the_panel_through_configure(configured, frontend, emulator, tmp_path):
    sw = configured
    panel = sw.GeneratorPanel()
    fe = frontend(panel)
    fe.ok("submit", prompt=PROMPT, model="sora-2", size="1280x720", seconds="12")
    job = panel.jobs[0]
    for _ in range(3):  # swap the engine under it, no resume(), no refresh()
        sw.configure(base_url=emulator.base_url, api_key=emulator.api_key, home=tmp_path / "home")
    assert panel.jobs[0] is job is sw.get_job(job.id)
    job.wait(120)
    assert job.status == "completed" and job.video_path and job.video_path.exists()
    wait_until(lambda: panel.items[0]["status"] == "completed" and panel.items[0]["has_video"],
               timeout=60, what="the card saw the job finish")
    panel.close()


def test_gallery_keeps_its_jobs_on_the_next_submit_and_on_reload(configured, emulator, tmp_path):
    sw = configured
    first = sw.generate(PROMPT, seconds="4")
    gallery = sw.Gallery()
    assert gallery.jobs[0] is first
    sw.configure(base_url=emulator.base_url, api_key=emulator.api_key, home=tmp_path / "home")
    second = sw.submit("Close-up of dew drops on a spider web, macro, morning sun", seconds="4")
    assert [j.id for j in gallery.jobs] == [second.id, first.id]
    assert gallery.jobs[1] is first
    sw.configure(base_url=emulator.base_url, api_key=emulator.api_key, home=tmp_path / "home")
    gallery.reload()
    assert gallery.jobs == [second, first]
    second.wait(120)
    wait_until(lambda: gallery.items[0]["status"] == "completed", timeout=60, what="second finished in gallery")
    gallery.close()


def test_card_acts_after_configure_on_the_same_object(configured, frontend, emulator, tmp_path):
    sw = configured
    job = sw.generate(PROMPT, seconds="4")
    card = sw.VideoCard(job)
    fe = frontend(card)
    sw.configure(base_url=emulator.base_url, api_key=emulator.api_key, home=tmp_path / "home")
    result, _ = fe.ok("remix", job_id=job.id, prompt="The same kite at sunset, golden light")
    assert card.job is job is sw.get_job(job.id)
    assert card.remixes[0].job_id == result["job_id"]
    card.remixes[0].job.wait(120)
    wait_until(lambda: card.remixes[0].status == "completed", what="remix card completed")
    card.close()


def test_panel_rereads_the_backend_on_the_next_submit(configured, frontend, emulator, tmp_path):
    sw = configured
    panel = sw.GeneratorPanel()
    fe = frontend(panel)
    fe.ok("submit", prompt=PROMPT, model="sora-2", size="1280x720", seconds="4")
    first = panel.jobs[0]
    first.wait(120)
    wait_until(lambda: panel.items[0]["can_delete"], what="first card completed, deletable")
    # the same server under another name is another backend (another key): the first job's actions go away
    other = emulator.base_url.replace("127.0.0.1", "localhost")
    sw.configure(base_url=other, api_key=emulator.api_key, home=tmp_path / "home")
    result, _ = fe.ok("submit", prompt="Close-up of rain on a window, city lights behind", model="sora-2",
                      size="1280x720", seconds="4")
    items = {item["job_id"]: item for item in panel.items}
    assert not items[first.id]["can_delete"] and not items[first.id]["can_remix"]
    second = sw.get_job(result["job_id"])
    assert second.backend_key == sw.backend_info()["backend_key"]
    second.wait(120)
    wait_until(lambda: panel.items[0]["can_delete"], what="second card deletable")
    panel.close()
