"""The storyboard and variations widgets, kernel side: their state and the commands the browser sends (played by a
recorder of ``widget.send``, as the browser's messages arrive through ``_handle_custom_msg``)."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest

import sora_widgets as sw
from sora_widgets import export as ex
from sora_widgets.widgets.storyboard import StoryboardWidget
from sora_widgets.widgets.variations import VariationsGrid

from .conftest import creates, wait_until

PROMPTS = ["a red ball rolls in", "a blue cube spinning fast", "three green stars orbiting"]


class Browser:
    """Sends commands like sora.js and collects the replies."""

    def __init__(self, widget: Any, monkeypatch: pytest.MonkeyPatch) -> None:
        self.widget, self.sent, self.seq = widget, [], 0
        monkeypatch.setattr(widget, "send", lambda content, buffers=None: self.sent.append(
            (content, [bytes(b) for b in (buffers or [])])))

    def request(self, cmd: str, **args: Any) -> tuple[dict[str, Any], list[bytes]]:
        self.seq += 1
        req_id = f"t-{self.seq}"
        self.widget._handle_custom_msg({"kind": "sora-request", "id": req_id, "cmd": cmd, "args": args}, [])
        found: list[Any] = []

        def answered() -> bool:
            found[:] = [(c, b) for c, b in self.sent if c.get("id") == req_id]
            return bool(found)

        wait_until(answered, 60)
        assert len(found) == 1
        return found[0]


def test_storyboard_widget_strip_sequence_and_commands(story, story_emulator, monkeypatch):
    sb = sw.storyboard(PROMPTS, size="320x180", seconds="4")
    assert isinstance(sb, StoryboardWidget) and sb.board_id == sb.id
    assert [shot["prompt"] for shot in sb.strip] == PROMPTS
    sb.wait(60)
    wait_until(lambda: sb.board_status == "completed" and sb.sequence.get("has_video"), 10)
    assert all(shot["status"] == "completed" and shot["has_thumbnail"] for shot in sb.strip)
    assert sb.sequence["cuts"] == [0.0, 4.0, 8.0] and sb.sequence["method"] == "stream_copy"
    assert abs(sb.sequence["duration_s"] - 12.0) <= 1 / 24
    browser = Browser(sb, monkeypatch)
    reply, buffers = browser.request("sequence")
    assert reply["ok"] and reply["result"]["size"] == len(buffers[0]) == sb.video_path.stat().st_size
    assert hashlib.sha256(buffers[0]).digest() == hashlib.sha256(sb.video_path.read_bytes()).digest()
    reply, buffers = browser.request("media", job_id=sb.strip[1]["job_id"], variant="thumbnail")
    assert reply["ok"] and buffers[0] == sb.shots[1].job.thumbnail_path.read_bytes()
    reply, _ = browser.request("media", job_id="job_nope", variant="thumbnail")
    assert not reply["ok"] and "is not a shot of storyboard" in reply["error"]
    # edit the last shot from the strip: only it renders again (nothing after it), then a new sequence
    version, before = sb.sequence["version"], creates(story_emulator)
    old_job = sb.strip[2]["job_id"]
    reply, _ = browser.request("regenerate", index=2, prompt="four yellow stars orbiting")
    assert reply["ok"], reply
    sb.wait(60)
    wait_until(lambda: sb.sequence.get("version") == version + 1, 10)
    assert creates(story_emulator) - before == 1
    assert sb.strip[2]["prompt"] == "four yellow stars orbiting" and sb.strip[2]["job_id"] != old_job
    assert sb.strip[2]["redone"] == 1
    reply, _ = browser.request("reorder", order=[0, 0, 1])
    assert not reply["ok"] and "order must list each shot index 0..2 once" in reply["error"]
    reply, _ = browser.request("regenerate", index=7)
    assert not reply["ok"] and "index must be a shot number 0..2" in reply["error"]


def test_reordering_independent_shots_restitches_without_rendering(story, story_emulator, monkeypatch):
    sb = sw.storyboard(PROMPTS, size="320x180", seconds="4", chain=None)
    sb.wait(60)
    jobs = [shot.job_id for shot in sb.shots]
    last_frame_of_shot_2 = ex.frame(sb.shots[2].video_path, 3.9)
    before = creates(story_emulator)
    browser = Browser(sb, monkeypatch)
    reply, _ = browser.request("reorder", order=[2, 0, 1])
    assert reply["ok"], reply
    sb.wait(60)
    assert [shot.job_id for shot in sb.shots] == [jobs[2], jobs[0], jobs[1]]
    assert creates(story_emulator) == before  # the same videos, stitched in the new order
    first = ex.frame(sb.video_path, 3.9)
    assert first.tobytes() == last_frame_of_shot_2.tobytes()


def test_variations_grid_state_prices_and_promote_command(story, story_emulator, monkeypatch):
    vs = sw.variations("A paper boat on a pond at sunset", n=3, size="320x180", seconds="2")
    assert isinstance(vs, VariationsGrid) and len(vs) == 3 and vs[1].seed == 2
    assert vs.take_ids == [job.id for job in vs]
    assert vs.promote_prices == {"story-1": {"4": pytest.approx(0.04), "2": pytest.approx(0.02)}}
    vs.wait(60)
    wait_until(lambda: vs.spent_usd == pytest.approx(0.06), 10)
    browser = Browser(vs, monkeypatch)
    reply, _ = browser.request("promote", job_id=vs[1].id, seconds="4")
    assert reply["ok"], reply
    final = sw.get_job(reply["result"]["job_id"])
    assert final.promoted_from == vs[1].id and final.seconds == "4"
    wait_until(lambda: any(item["job_id"] == final.id and item["promoted_from"] == vs[1].id
                           for item in vs.items), 10)
    final.wait(60)
    wait_until(lambda: vs.spent_usd == pytest.approx(0.10), 10)
    assert vs.promoted() == [final] and vs.cost_so_far() == pytest.approx(0.10)
    reply, _ = browser.request("promote", job_id=final.id)
    assert not reply["ok"] and "is not a take of this grid" in reply["error"]


def test_a_card_of_a_promoted_job_shows_its_lineage(story):
    take = sw.submit("a paper crane", size="320x180", seconds="2", seed=9).wait(60)
    final = take.promote(seconds="4")
    card = sw.VideoCard(final)
    assert card.promoted_from == take.id
    final.wait(60)
    assert card.promoted_from == take.id and card.status == "completed"
