"""Variations and draft -> final on the real emulator through the public API (real SDK, real HTTP).

Takes differ because each carries its own seed: the emulator renders another take by it. The control test shows
the check can fail: the same request twice without a seed (cache off) renders the same video.
"""

from __future__ import annotations

import hashlib
import itertools

import numpy as np
import pytest

import sora_widgets as sw
from sora_widgets import api
from sora_widgets.errors import BudgetExceededError, ValidationError

from .conftest import STORY_PROFILE, creates

PROMPT = "A paper boat on a pond at sunset"
TAKES_DIFFER_MAD = 1.0  # mean absolute RGB difference of the frames at 1 s: measured 3.3+ between takes; 0 for equal inputs


def mad(a, b) -> float:
    return float(np.abs(np.asarray(a, dtype=np.int16) - np.asarray(b, dtype=np.int16)).mean())


def digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_four_takes_are_four_jobs_whose_videos_differ(story, story_emulator):
    before = creates(story_emulator)
    vs = sw.variations(PROMPT, n=4, size="320x180", seconds="2").wait(60)
    assert len(vs) == 4 and len({job.id for job in vs}) == 4
    assert creates(story_emulator) - before == 4  # the cache did not collapse them
    assert [job.seed for job in vs] == [1, 2, 3, 4]
    assert all(job.status == "completed" and job.prompt == PROMPT for job in vs)
    assert len({digest(job.video_path) for job in vs}) == 4
    frames = [job.frame(1.0) for job in vs]
    assert min(mad(a, b) for a, b in itertools.combinations(frames, 2)) > TAKES_DIFFER_MAD


def test_without_a_seed_the_same_request_renders_the_same_video(story):
    a = sw.submit(PROMPT, size="320x180", seconds="2", cache=False).wait(60)
    b = sw.submit(PROMPT, size="320x180", seconds="2", cache=False).wait(60)
    assert a.id != b.id and mad(a.frame(1.0), b.frame(1.0)) < 0.5  # so the difference above is the seed's


def test_the_same_call_again_returns_the_same_takes_without_paying(story, story_emulator):
    first = sw.variations(PROMPT, n=3, size="320x180", seconds="2").wait(60)
    before = creates(story_emulator)
    again = sw.variations(PROMPT, n=3, size="320x180", seconds="2")
    assert [job.id for job in again] == [job.id for job in first]
    assert creates(story_emulator) == before


def test_a_list_of_prompts_is_one_take_each(story, story_emulator):
    prompts = ["a paper boat", "a paper plane", "a paper crane"]
    vs = sw.variations(prompts, size="320x180", seconds="2").wait(60)
    assert [job.prompt for job in vs] == prompts and all(job.seed is None for job in vs)
    two_each = sw.variations(prompts[:2], n=2, size="320x180", seconds="2")
    assert [(job.prompt, job.seed) for job in two_each] == [
        ("a paper boat", 1), ("a paper boat", 2), ("a paper plane", 1), ("a paper plane", 2)]


def test_promote_renders_the_chosen_take_with_sora_2_pro_and_keeps_the_lineage(emulator, tmp_path):
    home = tmp_path / "home"
    sw.configure(base_url=emulator.base_url, api_key=emulator.api_key, home=home)
    vs = sw.variations(PROMPT, n=4, model="sora-2", size="1280x720", seconds="4").wait(120)
    assert vs.promote_cost(model="sora-2-pro", seconds="8") == pytest.approx(0.30 * 8)
    assert vs.cost_so_far() == pytest.approx(4 * 0.10 * 4)
    final = vs[2].promote(model="sora-2-pro", seconds="8")
    assert final.promoted_from == vs[2].id and final.id not in {job.id for job in vs}
    assert (final.prompt, final.model, final.seconds, final.seed) == (PROMPT, "sora-2-pro", "8", vs[2].seed)
    final.wait(120)
    assert final.status == "completed"
    assert vs[2].promote(model="sora-2-pro", seconds="8") is final  # promoting again pays nothing
    assert vs.promoted() == [final]
    assert vs.cost_so_far() == pytest.approx(4 * 0.10 * 4 + 0.30 * 8)
    # the lineage is journaled: a new process reads it back
    api.reset()
    sw.configure(base_url=emulator.base_url, api_key=emulator.api_key, home=home)
    again = sw.get_job(final.id)
    assert again.promoted_from == vs[2].id and again.seed == vs[2].seed
    assert again.to_dict()["promoted_from"] == vs[2].id


def test_only_a_completed_take_can_be_promoted(story):
    blocked = sw.submit("pikachu dancing", size="320x180", seconds="2").wait(60)
    with pytest.raises(ValidationError, match=rf"only a completed take can be promoted; {blocked.id} is failed"):
        blocked.promote(seconds="4")


@pytest.mark.parametrize(("args", "kwargs", "match"), [
    (("",), {}, "prompt must be non-empty text"),
    ((42,), {}, "prompt must be text, or a non-empty list"),
    ((PROMPT,), {"n": 0}, "n must be a whole number of takes from 1 to 16"),
    ((PROMPT,), {"n": 17}, "n must be a whole number of takes from 1 to 16"),
    ((PROMPT,), {"seed": -1}, "seed must be a whole number"),
    ((PROMPT,), {"seconds": "3"}, "seconds '3' is not available"),
])
def test_bad_arguments_are_refused_before_any_request(story, story_emulator, args, kwargs, match):
    before = creates(story_emulator)
    with pytest.raises(ValidationError, match=match):
        sw.variations(*args, **kwargs)
    assert creates(story_emulator) == before


def test_a_batch_over_budget_is_refused_whole_before_any_request(story_emulator, tmp_path):
    sw.configure(base_url=story_emulator.base_url, api_key=story_emulator.api_key, home=tmp_path / "h",
                 profile=STORY_PROFILE, budget_usd=0.05)
    before = creates(story_emulator)
    with pytest.raises(BudgetExceededError, match=r"4 takes cost about \$0\.08; the budget has \$0\.05 left"):
        sw.variations(PROMPT, n=4, size="320x180", seconds="2")
    assert creates(story_emulator) == before and sw.jobs() == []


def test_submit_checks_the_seed(story):
    with pytest.raises(ValidationError, match="seed must be a whole number from 0 to 4294967295"):
        sw.submit(PROMPT, seed=2**32)
