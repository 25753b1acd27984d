"""The command protocol (anywidget's command wire format), Cancel/typical-time facts in summaries, and the
panel form's traits both ways. Real engine, real emulator; the browser's side is simulated (widget_testing)."""

from __future__ import annotations

import threading

import pytest
from widget_testing import wait_until

PROMPT = "Wide shot of a harbour at dawn, fishing boats leave, soft golden light"


def test_commands_speak_anywidgets_wire_format_and_answer_once(configured, frontend):
    sw = configured
    job = sw.submit(PROMPT, seconds="4")
    card = sw.VideoCard(job)
    fe = frontend(card)
    result, _ = fe.ok("ping")
    assert result == {"pong": True, "widget": "VideoCard"}
    raw = fe.raw_replies[-1]
    assert raw["kind"] == "anywidget-command-response" and raw["id"] == "test-1"
    assert raw["response"] == {"ok": True, "result": result}
    # the commands are anywidget @command methods; anywidget's own (synchronous) dispatcher is not registered,
    # so each request is answered exactly once (FrontEnd.reply asserts that)
    from anywidget.experimental import _ANYWIDGET_COMMAND

    assert getattr(type(card)._cmd_download, _ANYWIDGET_COMMAND) is True
    assert type(card)._anywidget_commands == {}
    assert {"media", "previews", "download", "remix", "delete", "retry", "ping"} <= set(card._commands)
    error = fe.error("fly")
    assert "unknown command 'fly'" in error and "download" in error
    card.close()


def test_the_older_request_form_is_still_answered(configured, monkeypatch):
    sw = configured
    card = sw.VideoCard(sw.submit(PROMPT, seconds="4"))
    sent = []
    monkeypatch.setattr(card, "send", lambda content, buffers=None: sent.append(content))
    card._handle_custom_msg({"kind": "sora-request", "id": "old-1", "cmd": "ping", "args": {}}, [])
    assert sent == [{"kind": "sora-reply", "id": "old-1", "ok": True, "result": {"pong": True, "widget": "VideoCard"}}]
    card.close()


def test_panel_submit_runs_off_the_shell_thread(configured, frontend):
    sw = configured
    panel = sw.GeneratorPanel()
    fe = frontend(panel)
    req = fe.send_request("submit", prompt=PROMPT, model="sora-2", size="1280x720", seconds="4")
    content, _ = fe.reply(req, "submit")
    assert content["ok"], content
    assert fe.reply_threads[req] != threading.current_thread().name
    assert fe.reply_threads[req].startswith("sora-command")
    job = sw.get_job(content["result"]["job_id"])
    assert [j.id for j in panel.jobs] == [job.id]
    # a wrong prompt is still refused at once, in words
    assert "Write a prompt first" in fe.error("submit", prompt="  ")
    panel.close()


def test_summaries_say_whether_a_running_job_can_be_cancelled_and_how_long_such_renders_take(configured):
    sw = configured
    done = sw.generate(PROMPT, size="1280x720", seconds="4")
    # completed_at is the backend's clock in whole seconds: a fast job may read up to 1 s "before" its submit,
    # and counts as ~0 s (catalog.render_times)
    took = max(0.0, done.completed_at - done.created_at)
    job = sw.submit(PROMPT + ", again", size="1280x720", seconds="4")
    card = sw.VideoCard(job)
    wait_until(lambda: card.status in ("queued", "in_progress", "completed"), what="acknowledged")
    if card.status != "completed":  # fast emulator: usually still running here
        assert card.can_cancel is True  # the emulator's profile has delete
        assert card.typical_s == pytest.approx(took, abs=0.11)
    other = sw.submit(PROMPT, size="720x1280", seconds="4")  # no completed render of this size yet
    other_card = sw.VideoCard(other)
    wait_until(lambda: other_card.status != "pending", what="acknowledged")
    if other_card.status != "completed":
        assert other_card.typical_s is None
    job.wait(60)
    wait_until(lambda: card.status == "completed", what="completed")
    assert card.can_cancel is False and card.typical_s is None  # only running jobs carry them
    card.close()
    other_card.close()


def test_a_backend_without_delete_offers_no_cancel(configured):
    sw = configured
    sw.configure(profile="litellm-veo")  # that profile has no delete (the emulator still renders)
    job = sw.submit(PROMPT, model="veo-3.0-fast-generate-preview", size="1280x720", seconds="8")
    card = sw.VideoCard(job)
    wait_until(lambda: card.status != "pending", what="acknowledged")
    assert card.can_cancel is False
    card.close()


def test_panel_form_traits_both_ways(configured):
    sw = configured
    panel = sw.GeneratorPanel(prompt="From Python")
    assert panel.get_state()["prompt"] == "From Python"
    # what the browser sends when the user types, and when a model/size/seconds choice changes (one message)
    panel.set_state({"prompt": "Typed in the browser"})
    assert panel.prompt == "Typed in the browser"
    panel.set_state({"model": "sora-2-pro", "size": "1792x1024", "seconds": "12"})
    assert (panel.model, panel.size, panel.seconds) == ("sora-2-pro", "1792x1024", "12")
    # and from Python: a wrong choice is refused in words
    with pytest.raises(Exception, match="allowed"):
        panel.size = "640x480"
    panel.close()


def test_card_playing_is_a_two_way_trait(configured):
    sw = configured
    card = sw.VideoCard(sw.submit(PROMPT, seconds="4"))
    assert card.playing is False
    card.set_state({"playing": True})  # the browser's player started
    assert card.playing is True
    card.playing = False  # a notebook pauses it
    assert card.get_state()["playing"] is False
    card.close()
