"""GeneratorPanel on the real engine + emulator, and the prompt coach (Python and JS agree)."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
from pathlib import Path

import pytest
from PIL import Image
from widget_testing import state_text, wait_until

from sora_widgets.widgets.coach import TEMPLATES, analyze, coach_rules

GOOD = TEMPLATES[1]["prompt"]
EXCELLENT = TEMPLATES[2]["prompt"]
IMAGE = TEMPLATES[3]["prompt"]


def test_form_comes_from_the_backend_profile(configured, emulator):
    sw = configured
    sw.configure(budget_usd=5.0)
    panel = sw.GeneratorPanel()
    models = {m["name"]: m for m in panel._profile["models"]}
    assert list(models) == ["sora-2", "sora-2-pro"]
    assert panel._profile["default_model"] == "sora-2"
    # only the sizes each model allows
    assert models["sora-2"]["sizes"] == ["720x1280", "1280x720"]
    assert "1792x1024" in models["sora-2-pro"]["sizes"]
    assert models["sora-2"]["seconds"] == ["4", "8", "12"]
    # cost for every choice, from sw.estimate_cost
    assert panel._costs["sora-2|720x1280|4"] == pytest.approx(0.4)
    assert panel._costs["sora-2-pro|1792x1024|12"] == pytest.approx(
        sw.estimate_cost("sora-2-pro", "1792x1024", "12")
    )
    # the badge names the base URL's host; the budget is the configured one
    assert panel.backend_label == sw.backend_info()["label"] and panel.backend_label.startswith("127.0.0.1")
    assert panel.backend_is_emulator is True  # the session's emulator, started in this process
    assert panel.budget_remaining_usd == pytest.approx(5.0)
    assert panel.spend_usd == 0
    # the coach rules and the seed's templates are there
    assert [a["key"] for a in panel._coach["text"]["aspects"]] == [
        "shot",
        "subject",
        "action",
        "setting",
        "lighting",
    ]
    assert [t["prompt"] for t in panel._coach["templates"]][1:] == [GOOD, EXCELLENT, IMAGE]
    assert emulator.api_key not in state_text(panel)
    panel.close()


def test_generate_adds_cards_at_the_top_and_they_go_live(configured, frontend):
    sw = configured
    panel = sw.GeneratorPanel()
    fe = frontend(panel)
    first, _ = fe.ok(
        "submit",
        prompt="Wide shot of a harbor at dawn, boats drift, soft light",
        model="sora-2",
        size="1280x720",
        seconds="4",
    )
    second, _ = fe.ok(
        "submit",
        prompt="Close-up of a candle flame that flickers in a dark room",
        model="sora-2",
        size="720x1280",
        seconds="4",
    )
    # newest first; both run at once
    assert [item["job_id"] for item in panel.items] == [second["job_id"], first["job_id"]]
    assert panel.items[1]["size"] == "1280x720" and panel.items[0]["size"] == "720x1280"
    assert [j.id for j in panel.jobs] == [second["job_id"], first["job_id"]]
    for job in panel.jobs:
        job.wait(120)
    wait_until(
        lambda: [i["status"] for i in panel.items] == ["completed", "completed"], what="both completed"
    )
    assert panel.live == {}
    item = panel.items[0]
    assert item["has_thumbnail"] and item["has_spritesheet"] and item["has_video"]
    assert item["sprite"]["frames"] == 16
    # the gallery-style media command serves the visible card's previews as bytes
    result, buffers = fe.ok("media", job_id=second["job_id"], variant="spritesheet")
    assert result["mime"] == "image/jpeg" and buffers[0][:3] == b"\xff\xd8\xff"
    # spend follows the jobs
    wait_until(lambda: panel.spend_usd == pytest.approx(0.8), what="spend updated")
    panel.close()


def test_live_trait_carries_progress_of_running_jobs(configured, frontend):
    sw = configured
    panel = sw.GeneratorPanel()
    fe = frontend(panel)
    lives: list[dict] = []
    panel.observe(lambda c: lives.append(c["new"]), names=["live"])
    result, _ = fe.ok(
        "submit", prompt="Aerial shot of a river that winds through a valley at sunset", seconds="4"
    )
    panel.jobs[0].wait(120)
    wait_until(lambda: panel.items[0]["status"] == "completed", what="completed")
    # in flight, the job was in `live`; once terminal it left `live` and `items` holds the final summary
    assert any(result["job_id"] in live for live in lives)
    assert panel.live == {}
    panel.close()


def test_submit_errors_come_back_as_words(configured, frontend):
    sw = configured
    sw.configure(budget_usd=0.5)
    panel = sw.GeneratorPanel()
    fe = frontend(panel)
    assert "Write a prompt first" in fe.error("submit", prompt="   ")
    message = fe.error("submit", prompt="A burger", model="sora-2", size="1792x1024", seconds="4")
    assert "1792x1024" in message and "allowed: 720x1280, 1280x720" in message
    assert "allowed: 4, 8, 12" in fe.error("submit", prompt="A burger", seconds="5")
    assert "budget" in fe.error("submit", prompt="A burger", seconds="12")
    assert panel.items == []
    panel.close()


def test_reference_image_is_fitted_and_sent(configured, frontend):
    sw = configured
    panel = sw.GeneratorPanel()
    fe = frontend(panel)
    image = Image.new("RGB", (640, 480), (200, 120, 40))
    png = io.BytesIO()
    image.save(png, format="PNG")
    result, _ = fe.ok(
        "submit",
        [png.getvalue()],
        prompt=IMAGE,
        size="1280x720",
        seconds="4",
        reference_mime="image/png",
        reference_name="portrait.png",
    )
    job = panel.jobs[0]
    assert job.id == result["job_id"]
    job.wait(120)
    assert job.status == "completed", job.error
    assert "not a readable image" in fe.error("submit", [b"not an image"], prompt=IMAGE, seconds="4")
    panel.close()


def test_strict_constructor_and_initial_values(configured):
    sw = configured
    with pytest.raises(
        TypeError, match=r"unexpected keyword argument 'colour'.*allowed: layout, model, prompt"
    ):
        sw.GeneratorPanel(colour="red")
    with pytest.raises(Exception, match=r"model 'sora-9' is not offered; allowed: sora-2, sora-2-pro"):
        sw.GeneratorPanel(model="sora-9")
    with pytest.raises(Exception, match=r"size '1792x1024' is not available for sora-2"):
        sw.GeneratorPanel(size="1792x1024")
    panel = sw.GeneratorPanel(prompt="A burger", model="sora-2-pro", size="1792x1024", seconds=8)
    assert (panel.prompt, panel.model, panel.size, panel.seconds) == (
        "A burger",
        "sora-2-pro",
        "1792x1024",
        "8",
    )
    panel.close()


# ---- the coach -------------------------------------------------------------------------------------------


def test_coach_on_the_seed_examples():
    poor = analyze("A burger")
    assert poor.present == ("subject",)
    assert poor.missing == ("shot", "action", "setting", "lighting")
    assert str(poor) == "Missing: shot type, action, setting, lighting."
    assert analyze(GOOD).missing == ()
    assert analyze(EXCELLENT).missing == ()
    assert analyze(EXCELLENT).score == 1.0
    # image-to-video: motion and camera present in the seed's example, effects are optional extras
    image = analyze(IMAGE, image=True)
    assert image.present == ("motion", "camera")
    assert image.missing == ("effects",)
    assert analyze("").missing == ("shot", "subject", "action", "setting", "lighting")


COACH_SAMPLES = [
    "A burger",
    GOOD,
    EXCELLENT,
    IMAGE,
    "",
    "tracking shot, warm lighting",
    "Neon-lit alley at night; a cat leaps across puddles, handheld camera",
    "Mario jumping on a mushroom",
    "warmly shooting the breeze",
    "Time-lapse of clouds over a valley at golden hour",
]


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_coach_in_the_browser_agrees_with_python(tmp_path):
    static = Path(__file__).resolve().parents[2] / "sora_widgets" / "static" / "sora.js"
    payload = {"rules": coach_rules(), "samples": COACH_SAMPLES}
    (tmp_path / "in.json").write_text(json.dumps(payload))
    script = tmp_path / "run.mjs"
    script.write_text(
        f"import {{ analyzePrompt }} from {json.dumps(static.as_uri())};\n"
        "import { readFileSync } from 'node:fs';\n"
        f"const {{ rules, samples }} = JSON.parse(readFileSync({json.dumps(str(tmp_path / 'in.json'))}, 'utf8'));\n"
        "const out = samples.map((s) => [analyzePrompt(s, rules.text).missing, analyzePrompt(s, rules.image).missing]);\n"
        "console.log(JSON.stringify(out));\n"
    )
    done = subprocess.run(["node", str(script)], capture_output=True, text=True, timeout=60, check=True)
    js = json.loads(done.stdout)
    py = [[list(analyze(s).missing), list(analyze(s, image=True).missing)] for s in COACH_SAMPLES]
    assert js == py
