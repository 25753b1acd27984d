"""Storyboards on the real emulator through the public API: chaining, stitching, persistence, resume, regenerate.

Cut continuity threshold: with ``chain="frame"`` shot k+1's first frame *is* shot k's decoded last frame, sent
as ``input_reference`` and encoded again by the backend (the emulator: x264 crf 28), so the two differ only by
that re-encode: measured 1.4-1.5 mean absolute difference (0..255 RGB) at 320x180. The threshold is 3.0, twice
that; independent shots (``chain=None``) differ by 20-30 at their cuts, so the check can fail.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

import sora_widgets as sw
from sora_widgets import api
from sora_widgets import export as ex
from sora_widgets import storyboards as storyboard_module
from sora_widgets.errors import BudgetExceededError, SoraWidgetsError, ValidationError

from .conftest import STORY_PROFILE, creates, wait_until

FPS = 24
CUT_MAD = 3.0
PROMPTS = ["a red ball rolls in", "a blue cube spinning fast", "three green stars orbiting"]


def mad(a, b) -> float:
    return float(np.abs(np.asarray(a, dtype=np.int16) - np.asarray(b, dtype=np.int16)).mean())


def cut_differences(video: Path, shot_seconds: float, shots: int) -> list[float]:
    """Mean absolute difference between the last frame before and the first frame after each cut."""
    return [mad(ex.frame(video, k * shot_seconds - 0.5 / FPS), ex.frame(video, k * shot_seconds + 0.5 / FPS))
            for k in range(1, shots)]


def test_three_shot_frame_chain_at_1280x720_stitches_to_12_s_with_continuous_cuts(emulator, tmp_path):
    sw.configure(base_url=emulator.base_url, api_key=emulator.api_key, home=tmp_path / "home")
    sb = sw.storyboard(PROMPTS, model="sora-2", size="1280x720", seconds="4", chain="frame")
    sb.wait(120)
    assert sb.status == "completed" and sb.video_path is not None
    info = ex.probe(sb.video_path)
    assert (info.width, info.height) == (1280, 720)
    assert abs(info.duration_s - 12.0) <= 1 / FPS
    assert sb.stitch["method"] == "stream_copy"
    for k in range(2):  # each shot's first frame is the previous shot's last frame
        before, after = sb.shots[k].video_path, sb.shots[k + 1].video_path
        last = ex.frame(before, ex.probe(before).duration_s - 0.5 / FPS)
        assert mad(last, ex.frame(after, 0.0)) < CUT_MAD
    assert max(cut_differences(sb.video_path, 4.0, 3)) < CUT_MAD
    # every shot is an ordinary journaled job
    ids = {job.id for job in sw.jobs()}
    assert {shot.job_id for shot in sb.shots} <= ids


def test_independent_shots_are_stitched_without_continuity(story, story_emulator):
    before = creates(story_emulator)
    sb = sw.storyboard(PROMPTS, size="320x180", seconds="4", chain=None)
    sb.wait(60)
    assert creates(story_emulator) - before == 3
    assert abs(ex.probe(sb.video_path).duration_s - 12.0) <= 1 / FPS
    assert min(cut_differences(sb.video_path, 4.0, 3)) > 5 * CUT_MAD  # the continuity check can fail


def test_chain_extend_uses_the_extensions_endpoint_and_ends_at_12_s(story, story_emulator):
    stats = story_emulator.stats()["requests"]
    creates_before, extends_before = stats.get("create", 0), stats.get("extend", 0)
    sb = sw.storyboard(PROMPTS, size="320x180", seconds="4", chain="extend").wait(90)
    stats = story_emulator.stats()["requests"]
    assert stats.get("create", 0) - creates_before == 1  # shot 0 only
    assert stats.get("extend", 0) - extends_before == 2  # shots 1 and 2 extend the shot before
    jobs = [shot.job for shot in sb.shots]
    assert [job.extended_from for job in jobs] == [None, jobs[0].id, jobs[1].id]
    assert [job.seconds for job in jobs] == ["4", "4", "4"]  # what each shot adds (and costs)
    assert [round(ex.probe(job.video_path).duration_s) for job in jobs] == [4, 8, 12]
    assert sb.stitch["method"] == "extension"
    assert abs(ex.probe(sb.video_path).duration_s - 12.0) <= 1 / FPS
    # the sequence starts as shot 0 does: the extensions continued it, they did not replace it
    assert mad(ex.frame(sb.video_path, 1.0), ex.frame(jobs[0].video_path, 1.0)) < CUT_MAD
    # picking it up again pays nothing (the extension cache)
    api.reset()
    sw.configure(base_url=story_emulator.base_url, api_key=story_emulator.api_key, home=sb.path.parents[1],
                 profile=STORY_PROFILE)
    storyboard_module._live.clear()
    again = sw.storyboard(PROMPTS, size="320x180", seconds="4", chain="extend").wait(60)
    assert story_emulator.stats()["requests"].get("extend", 0) - extends_before == 2
    assert [shot.job_id for shot in again.shots] == [job.id for job in jobs]


def test_chain_extend_is_refused_where_the_profile_has_no_extensions(story_emulator, tmp_path):
    from sora_widgets.profiles import BackendProfile

    plain = BackendProfile(name="no-extensions", models=STORY_PROFILE.models, features=frozenset({"list"}))
    sw.configure(base_url=story_emulator.base_url, api_key=story_emulator.api_key, home=tmp_path / "h",
                 profile=plain)
    before = creates(story_emulator)
    with pytest.raises(ValidationError, match="chain='extend' needs the extensions endpoint, which backend "
                                              "profile 'no-extensions' does not have"):
        sw.storyboard(PROMPTS, size="320x180", seconds="4", chain="extend")
    assert creates(story_emulator) == before


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"prompts": "one prompt"}, "non-empty list"),
    ({"prompts": []}, "non-empty list"),
    ({"prompts": ["ok", ""]}, "prompt must be non-empty"),
    ({"size": "1920x1080"}, "size '1920x1080' is not available"),
    ({"chain": "morph"}, "chain must be one of"),
    ({"retries": -1}, "retries must be"),
])
def test_bad_definitions_are_refused_before_any_request(story, story_emulator, kwargs, match):
    args = {"prompts": PROMPTS, "size": "320x180", "seconds": "4", **kwargs}
    before = creates(story_emulator)
    with pytest.raises(ValidationError, match=match):
        sw.storyboard(args.pop("prompts"), **args)
    assert creates(story_emulator) == before


def test_a_storyboard_over_budget_is_refused_before_any_request(story, story_emulator):
    sw.configure(budget_usd=0.05)  # 3 shots x 4 s x $0.01/s = $0.12
    before = creates(story_emulator)
    with pytest.raises(BudgetExceededError, match=r"3 shots to render cost about \$0\.12"):
        sw.storyboard(PROMPTS, size="320x180", seconds="4")
    assert creates(story_emulator) == before


def test_picking_up_a_finished_storyboard_costs_nothing_so_the_budget_allows_it(story, story_emulator):
    sb = sw.storyboard(PROMPTS, size="320x180", seconds="4").wait(60)
    storyboard_module._live.clear()
    sw.configure(budget_usd=sw.spend())  # nothing left to spend
    before = creates(story_emulator)
    again = sw.storyboard(PROMPTS, size="320x180", seconds="4").wait(60)
    assert again.video_path == sb.video_path and creates(story_emulator) == before
    with pytest.raises(BudgetExceededError, match="3 shots to render"):
        sw.storyboard([p + " at night" for p in PROMPTS], size="320x180", seconds="4")


def test_regenerating_a_middle_shot_rerenders_it_and_the_shots_after_it(story, story_emulator):
    sb = sw.storyboard(PROMPTS, size="320x180", seconds="4").wait(60)
    old = [shot.job_id for shot in sb.shots]
    old_middle = ex.frame(sb.video_path, 6.0)
    before = creates(story_emulator)
    sb.shots[1].regenerate("a yellow pyramid bouncing").wait(60)
    assert creates(story_emulator) - before == 2
    new = [shot.job_id for shot in sb.shots]
    assert new[0] == old[0] and new[1] != old[1] and new[2] != old[2]
    assert sb.shots[1].history == [old[1]] and sb.shots[2].history == [old[2]]
    assert sb.shots[1].prompt == "a yellow pyramid bouncing" and sb.shots[1].job.prompt == sb.shots[1].prompt
    assert mad(old_middle, ex.frame(sb.video_path, 6.0)) > 5  # the stitched video shows the new shot
    assert max(cut_differences(sb.video_path, 4.0, 3)) < CUT_MAD
    assert abs(ex.probe(sb.video_path).duration_s - 12.0) <= 1 / FPS


def test_regenerating_an_independent_shot_rerenders_only_that_shot(story, story_emulator):
    sb = sw.storyboard(PROMPTS, size="320x180", seconds="4", chain=None).wait(60)
    old = [shot.job_id for shot in sb.shots]
    before = creates(story_emulator)
    sb.shots[1].regenerate().wait(60)  # same prompt: rendered anew, not served from the cache
    assert creates(story_emulator) - before == 1
    new = [shot.job_id for shot in sb.shots]
    assert new[0] == old[0] and new[1] != old[1] and new[2] == old[2]


def test_same_definition_in_a_new_session_picks_up_the_jobs_without_paying(story, story_emulator, tmp_path):
    sb = sw.storyboard(PROMPTS, size="320x180", seconds="4").wait(60)
    state = json.loads(sb.path.read_text())
    assert sb.path == tmp_path / "home" / "storyboards" / f"{sb.id}.json"
    assert [s["job_id"] for s in state["shots"]] == [shot.job_id for shot in sb.shots]
    # a "kernel restart": no engine, no live storyboards, the same configuration
    api.reset()
    storyboard_module._live.clear()
    sw.configure(base_url=story_emulator.base_url, api_key=story_emulator.api_key, home=tmp_path / "home",
                 profile=STORY_PROFILE)
    before = creates(story_emulator)
    again = sw.storyboard(PROMPTS, size="320x180", seconds="4").wait(60)
    assert again is not sb and again.id == sb.id
    assert [s.job_id for s in again.shots] == [s.job_id for s in sb.shots]
    assert creates(story_emulator) == before
    loaded = storyboard_module.load(sb.id)
    assert loaded is again and loaded.video_path == sb.video_path
    assert [row["id"] for row in storyboard_module.list_storyboards()] == [sb.id]
    with pytest.raises(KeyError, match="no storyboard 'sb_000000000000'"):
        storyboard_module.load("sb_000000000000")


def test_a_lost_shot_is_rendered_again_alone(story, story_emulator):
    sb = sw.storyboard(PROMPTS, size="320x180", seconds="4").wait(60)
    old = [shot.job_id for shot in sb.shots]
    sb.shots[1].job.delete()  # the shot's video is gone (deleted on the backend and locally)
    storyboard_module._live.clear()
    before = creates(story_emulator)
    again = sw.storyboard(PROMPTS, size="320x180", seconds="4").wait(60)
    # only shot 1 is created again; the emulator renders the same inputs to the same frames, so shot 2's
    # reference (shot 1's last frame) is the same request as before and the engine's cache serves it
    assert creates(story_emulator) - before == 1
    new = [shot.job_id for shot in again.shots]
    assert new[0] == old[0] and new[1] != old[1] and new[2] == old[2]
    assert again.shots[1].history == [old[1]]
    assert max(cut_differences(again.video_path, 4.0, 3)) < CUT_MAD


def test_a_blocked_shot_fails_the_storyboard_and_a_new_prompt_finishes_it(story, story_emulator):
    prompts = [PROMPTS[0], "mario jumping on a mushroom", PROMPTS[2]]
    sb = sw.storyboard(prompts, size="320x180", seconds="4")
    with pytest.raises(SoraWidgetsError, match=r"shot 1 .* failed: .*moderation"):
        sb.wait(60)
    assert sb.status == "failed" and sb.video_path is None
    assert sb.shots[1].job.status == "failed" and sb.shots[2].job_id is None  # never paid for shot 2
    first = sb.shots[0].job_id
    before = creates(story_emulator)
    sb.shots[1].regenerate("a plumber-free mushroom garden").wait(60)
    assert creates(story_emulator) - before == 2
    assert sb.shots[0].job_id == first and sb.status == "completed"


# ---------------------------------------------------------------------------------------------------------------
# A process killed mid-storyboard, then the same storyboard in this process: no shot is created twice.

CHILD = textwrap.dedent("""
    import sys
    import sora_widgets as sw
    from sora_widgets.profiles import BackendProfile, ModelSpec

    base_url, key, home = sys.argv[1:4]
    profile = BackendProfile(name="story-test",
                             models=(ModelSpec("story-1", ("320x180", "160x90"), ("4", "2"), {"*": 0.01}),))
    sw.configure(base_url=base_url, api_key=key, home=home, profile=profile)
    sw.storyboard(%r, size="320x180", seconds="4").wait(300)
""") % (PROMPTS,)


@pytest.fixture(scope="module")
def slow_emulator(tmp_path_factory):
    """Speed 4: a 4 s shot takes about 2.5 s, long enough to kill a process in the middle of a storyboard."""
    with sw.start_emulator(speed=4, seed=5, profile=STORY_PROFILE, data_dir=tmp_path_factory.mktemp("slow")) as emu:
        yield emu


def test_a_storyboard_killed_midway_resumes_without_creating_any_shot_twice(slow_emulator, tmp_path):
    home = tmp_path / "home"
    made_before = slow_emulator.stats()["videos"]
    child = subprocess.Popen([sys.executable, "-c", CHILD, slow_emulator.base_url, slow_emulator.api_key, str(home)],
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env={**os.environ})
    seen: dict = {}

    def shot_1_submitted() -> bool:
        for path in (home / "storyboards").glob("sb_*.json"):
            state = json.loads(path.read_text())
            if state["shots"][1]["job_id"]:
                seen.update(state)
                return True
        assert child.poll() is None, child.stderr.read().decode() if child.stderr else "child exited"
        return False

    try:
        wait_until(shot_1_submitted, timeout=60)
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(10)
        if child.stderr:
            child.stderr.close()
    assert seen["status"] == "running" and seen["shots"][2]["job_id"] is None  # killed mid-storyboard
    killed_ids = [s["job_id"] for s in seen["shots"][:2]]

    sw.configure(base_url=slow_emulator.base_url, api_key=slow_emulator.api_key, home=home, profile=STORY_PROFILE)
    sw.resume()  # re-attaches the shots in flight and restarts the storyboard the dead process left running
    sb = storyboard_module.load(seen["id"])
    assert sb.status == "running"
    sb.wait(120)
    assert sw.storyboard(PROMPTS, size="320x180", seconds="4").board is sb  # the same one, nothing new
    # One video per shot, both processes together. Videos made, not create requests: a create killed mid-upload
    # (shot 1's reference image) reaches the server's request counter but makes nothing, and is rightly sent again.
    assert slow_emulator.stats()["videos"] - made_before == 3, slow_emulator.stats()
    assert [s.job_id for s in sb.shots[:2]] == killed_ids
    assert all(s.history == [] for s in sb.shots)
    assert abs(ex.probe(sb.video_path).duration_s - 12.0) <= 1 / FPS
    assert max(cut_differences(sb.video_path, 4.0, 3)) < CUT_MAD


def test_exports_take_a_job_or_a_storyboard(story, tmp_path):
    sb = sw.storyboard(PROMPTS, size="320x180", seconds="4").wait(60)
    gif = sb.export(tmp_path / "clip.gif", start=0.5, end=3.0, width=160, fps=12)
    assert (gif.frames, gif.width) == (30, 160)
    assert np.array_equal(np.asarray(sb.frame(8.5)), np.asarray(ex.frame(sb.shots[2].video_path, 0.5)))
    assert sb.contact_sheet(cols=3, rows=1, tile_width=64, gap=0).size == (192, 36)
    job = sb.shots[0].job
    assert ex.export(job, tmp_path / "shot.mp4", end=2.0).frames == 48
    assert np.array_equal(np.asarray(ex.frame(job, 1.0)), np.asarray(ex.frame(job.video_path, 1.0)))
    blocked = sw.submit("pikachu dancing", size="320x180", seconds="4")
    blocked.wait(60)
    with pytest.raises(ValidationError, match=rf"{blocked.id} has no video yet \(status failed\)"):
        ex.export(blocked, tmp_path / "none.gif")


def test_sw_storyboard_is_the_function_and_the_module_is_named_apart(story):
    import importlib

    importlib.import_module("sora_widgets.storyboards")  # binding the submodule must not shadow the function
    from sora_widgets.widgets import storyboard as widget_module

    assert sw.storyboard is widget_module.storyboard and callable(sw.storyboard)
    assert not callable(storyboard_module)
    sb = sw.storyboard(PROMPTS[:1], size="320x180", seconds="4").wait(60)
    assert storyboard_module.load(sb.id) is sb
    assert [row["id"] for row in storyboard_module.list_storyboards()] == [sb.id]
