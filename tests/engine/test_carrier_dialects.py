"""The same engine tests against every carrier dialect of the emulator (issue 10), public API first.

Each dialect runs twice: with its built-in profile (features pre-declared) and with every feature claimed
("discover": the engine must learn from the answers what the carrier cannot do, and remember it). The emulators
serve the dialects' model names at a tiny size so the jobs cost little CPU.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from dataclasses import replace

import pytest
from PIL import Image

import sora_widgets as sw
from sora_widgets import api
from sora_widgets.profiles import (
    FEATURES,
    OPENAI_PROFILE,
    SPEC_FEATURES,
    BackendProfile,
    ModelSpec,
    get_profile,
)

pytestmark = pytest.mark.timeout(120)

#: dialect -> (the built-in profile a user picks for it, the tiny model the emulator serves)
DIALECTS = {
    "litellm": ("litellm", ModelSpec("sora-2", ("160x90",), ("1", "2"), {"*": 0.01})),
    "litellm-veo": ("litellm-veo", ModelSpec("veo-3.0-generate-001", ("160x90",), ("4",), {"*": 0.01})),
    "vllm-omni": ("vllm-omni", ModelSpec("Wan-AI/Wan2.2-T2V-A14B-Diffusers", ("160x90",), ("1", "2"), {"*": 0.0})),
    "sglang": ("sglang", ModelSpec("Wan-AI/Wan2.1-T2V-1.3B-Diffusers", ("160x90",), ("1", "2"), {"*": 0.0})),
    "reseller": ("openai", ModelSpec("sora-2", ("160x90",), ("1", "2"), {"*": 0.01})),
}
NO_VARIANTS = {"litellm", "litellm-veo", "vllm-omni", "sglang"}
NO_REMIX = {"litellm-veo", "vllm-omni", "sglang"}
NO_DELETE = {"litellm", "litellm-veo"}
MODES = ("declared", "discover")
DEADLINE_S = 30.0


@pytest.fixture(scope="module")
def carriers(tmp_path_factory):
    """One emulator per dialect (started on first use), jobs 0.4 s in progress."""
    running: dict[str, object] = {}

    def get(dialect: str):
        if dialect not in running:
            spec = DIALECTS[dialect][1]
            running[dialect] = sw.start_emulator(
                dialect=dialect, profile=BackendProfile(f"tiny-{dialect}", (spec,)), job_duration_s=0.4, seed=5,
                max_concurrent_renders=2, data_dir=tmp_path_factory.mktemp(dialect.replace("-", "_")))
        return running[dialect]

    yield get
    for emu in running.values():
        emu.stop()


def profile_for(dialect: str, mode: str) -> BackendProfile:
    builtin, spec = DIALECTS[dialect]
    profile = replace(get_profile(builtin), models=(spec,))
    # discover: every feature claimed, and no habit declared (SGLang's "queued until done" too)
    return replace(profile, features=FEATURES, queued_until_done=False) if mode == "discover" else profile


def configure(emu, dialect: str, mode: str, home) -> None:
    sw.configure(base_url=emu.base_url, api_key=emu.api_key, home=home, profile=profile_for(dialect, mode))


def facts(home) -> dict[str, str]:
    with sqlite3.connect(home / "jobs.sqlite3") as db:
        return dict(db.execute("SELECT name, value_json FROM backend_facts").fetchall())


def settle(jobs, timeout: float = DEADLINE_S) -> None:
    deadline = time.monotonic() + timeout
    while not all(job.done for job in jobs) and time.monotonic() < deadline:
        time.sleep(0.05)  # polling interval of a wait with a deadline


def assert_media(job) -> None:
    assert job.status == "completed", (job.status, job.error)
    assert job.video_path is not None and job.video_path.read_bytes()[4:8] == b"ftyp"
    for path in (job.thumbnail_path, job.spritesheet_path):
        assert path is not None and path.exists(), (job.id, path)
        with Image.open(path) as img:
            assert img.format in ("WEBP", "JPEG", "PNG"), (path, img.format)
    assert job.sprite is not None


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("dialect", sorted(DIALECTS))
def test_jobs_complete_with_video_and_local_previews(carriers, dialect, mode, tmp_path, caplog):
    caplog.set_level(logging.INFO, logger="sora_widgets")
    emu = carriers(dialect)
    configure(emu, dialect, mode, tmp_path)
    before = emu.stats()
    jobs = [sw.submit(f"{dialect} {mode} job {i}: a bouncing ball", cache=False) for i in range(3)]
    settle(jobs)
    for job in jobs:
        assert_media(job)
    after = emu.stats()
    assert after["create"] - before["create"] == 3
    content = after["content"] - before["content"]
    if dialect in NO_VARIANTS:
        # one MP4 each; discovering "no variants" wastes at most one request for the whole backend
        assert content <= 3 + (1 if profile_for(dialect, mode).supports("variants") else 0), content
    else:
        assert content == 9, content  # video, thumbnail and spritesheet, each once
    assert not [r for r in caplog.records if "poller iteration failed" in r.getMessage()]
    if profile_for(dialect, mode).supports("variants") and dialect in NO_VARIANTS:
        assert facts(tmp_path).get("variants") == "false"


@pytest.mark.parametrize("dialect", sorted(NO_VARIANTS))
def test_what_was_learned_is_remembered_across_sessions(carriers, dialect, tmp_path):
    emu = carriers(dialect)
    configure(emu, dialect, "discover", tmp_path)
    first = sw.submit(f"{dialect}: first of its backend", cache=False)
    settle([first])
    assert_media(first)
    api.reset()  # a new kernel: only the journal remembers
    configure(emu, dialect, "discover", tmp_path)
    before = emu.stats()["content"]
    again = [sw.submit(f"{dialect}: after a restart {i}", cache=False) for i in range(2)]
    settle(again)
    for job in again:
        assert_media(job)
    assert emu.stats()["content"] - before == 2  # the MP4s only: no variant asked for again


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("dialect", sorted(NO_REMIX))
def test_a_backend_without_remix_says_so_at_once(carriers, dialect, mode, tmp_path):
    emu = carriers(dialect)
    configure(emu, dialect, mode, tmp_path)
    source = sw.submit(f"{dialect}: a paper boat", cache=False)
    settle([source])
    assert source.status == "completed", source.error
    remixes = emu.stats()["requests"].get("remix", 0)
    started = time.monotonic()
    try:
        remix = source.remix("the same boat, red")
    except sw.BackendUnavailableError as exc:  # known (declared or learned) before anything is sent
        assert "remix" in str(exc)
        assert mode == "declared"
    else:
        assert mode == "discover"
        settle([remix], timeout=10)
        assert remix.status == "failed" and remix.error is not None
        assert remix.error.code == "unsupported" and not remix.error.retryable
        assert "cannot remix" in remix.error.message
        with pytest.raises(sw.BackendUnavailableError, match="remix"):  # learned: the next one is refused locally
            source.remix("and once more")
    assert time.monotonic() - started < 5.0
    assert emu.stats()["requests"].get("remix", 0) - remixes <= 1  # no retry storm


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("dialect", sorted(NO_DELETE))
def test_delete_on_a_backend_that_keeps_the_video(carriers, dialect, mode, tmp_path, caplog):
    caplog.set_level(logging.INFO, logger="sora_widgets")
    emu = carriers(dialect)
    configure(emu, dialect, mode, tmp_path)
    job = sw.submit(f"{dialect}: a snail on a leaf", cache=False)
    settle([job])
    assert_media(job)
    folder = job.video_path.parent
    deletes = emu.stats()["delete"]
    job.delete()
    assert job.status == "deleted" and not folder.exists()
    said = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert any("keeps" in m and job.id in m for m in said), said
    # a delete is tried at most once per backend (405: learned); nothing more is sent after that
    assert emu.stats()["delete"] - deletes <= (1 if profile_for(dialect, mode).supports("delete") else 0)
    other = sw.submit(f"{dialect}: a second snail", cache=False)
    settle([other])
    deletes = emu.stats()["delete"]
    other.delete()
    assert other.status == "deleted" and emu.stats()["delete"] == deletes


@pytest.mark.parametrize("mode", MODES)
def test_sglang_says_queued_while_it_renders_and_the_engine_reads_it_as_running(mode, tmp_path):
    spec = DIALECTS["sglang"][1]
    with sw.start_emulator(dialect="sglang", profile=BackendProfile("tiny-sglang", (spec,)), job_duration_s=3.0,
                           seed=5, data_dir=tmp_path / "emu") as emu:
        configure(emu, "sglang", mode, tmp_path / "home")
        job = sw.submit("sglang: a lantern floating on a lake", cache=False)
        deadline = time.monotonic() + DEADLINE_S
        while job.status == "pending" and time.monotonic() < deadline:
            time.sleep(0.02)  # polling interval of a wait with a deadline
        rendering = emu.stats()["statuses"].get("in_progress", 0)
        # the create's answer said "queued" while the emulator renders: declared, that reads as running (the
        # queue hidden, as Veo's `processing`); undeclared, as what it says until 3 such jobs teach otherwise
        assert rendering == 1 and job.status == ("in_progress" if mode == "declared" else "queued"), (
            job.status, rendering)
        settle([job])
        assert_media(job)
        assert "says_running" not in facts(tmp_path / "home"), "one 3 s job is no evidence either way"


def test_a_filtered_veo_job_ends_failed_with_the_backends_message(carriers, tmp_path):
    emu = carriers("litellm-veo")
    configure(emu, "litellm-veo", "declared", tmp_path)
    before = emu.stats()["content"]
    started = time.monotonic()
    job = sw.submit("Mario jumping between mushrooms", cache=False)
    settle([job], timeout=15)
    assert job.status == "failed", (job.status, job.error)
    assert job.error is not None and "blocked" in job.error.message.lower(), job.error
    assert time.monotonic() - started < 10.0
    assert emu.stats()["content"] - before <= 2  # the JSON "MP4": at most two attempts


def test_reseller_units_are_discovered(carriers, tmp_path):
    emu = carriers("reseller")
    configure(emu, "reseller", "discover", tmp_path)
    job = sw.submit("reseller: a rising sun", cache=False)
    settle([job])
    assert_media(job)
    assert job.progress == 100.0
    assert job.completed_at is not None and abs(job.completed_at - time.time()) < 120  # seconds, not ms
    learned = facts(tmp_path)
    assert learned.get("time_unit") == '"ms"'


def test_a_wrong_key_through_litellm_is_an_authentication_error(carriers, tmp_path):
    emu = carriers("litellm")
    sw.configure(base_url=emu.base_url, api_key="sk-not-the-master-key", home=tmp_path,
                 profile=profile_for("litellm", "declared"))
    with pytest.raises(sw.AuthenticationError) as info:
        sw.generate("a key that is wrong", timeout=20)
    assert "sk-not-the-master-key" not in str(info.value)


def test_an_unknown_model_names_the_models_the_proxy_serves(carriers, tmp_path):
    emu = carriers("litellm")
    sw.configure(base_url=emu.base_url, api_key=emu.api_key, home=tmp_path, profile=replace(
        profile_for("litellm", "declared")))
    job = sw.submit("a model nobody serves", model="sora-9000", cache=False)
    settle([job], timeout=15)
    assert job.status == "failed" and job.error is not None
    assert "sora-2" in job.error.message and "serves" in job.error.message, job.error.message


def test_a_lost_create_on_a_carrier_that_drops_the_prompt_is_never_sent_twice(tmp_path):
    spec = DIALECTS["litellm"][1]
    with sw.start_emulator(dialect="litellm", profile=BackendProfile("tiny-lost", (spec,)), job_duration_s=0.3,
                           lost_create_rate=1.0, seed=9, data_dir=tmp_path / "emu") as emu:
        for mode in MODES:
            configure(emu, "litellm", mode, tmp_path / mode)
            before = emu.stats()["create"]
            job = sw.submit(f"lost create ({mode})", cache=False)
            settle([job], timeout=20)
            assert job.status == "unknown", (job.status, job.error)
            assert job.error is not None and job.error.retryable and "Retry" in job.error.message
            assert emu.stats()["create"] - before == 1  # made once on the backend, never re-sent
            api.reset()


def test_the_openai_profile_still_claims_everything_it_is_not_told_otherwise():
    # no profile = the OpenAI spec profile: every feature is tried once, then what the backend does is remembered
    assert OPENAI_PROFILE.features == SPEC_FEATURES  # seed is not in the spec
    assert get_profile("litellm").open_models and get_profile("litellm").features == FEATURES
    assert not get_profile("litellm-veo").features
    assert {"list", "delete", "progress"} == set(get_profile("vllm-omni").features)
    assert {"list", "delete"} == set(get_profile("sglang").features)


README = __import__("pathlib").Path(__file__).resolve().parents[2] / "README.md"
#: the README's "Backends" rows, by the carrier each one names
README_ROWS = {"litellm": "LiteLLM proxy, OpenAI-protocol", "litellm-veo": "LiteLLM proxy in front of Veo",
               "vllm-omni": "vLLM-Omni", "sglang": "SGLang", "reseller": "A gateway / reseller"}


def readme_profile(dialect: str) -> str:
    import re

    row = next(line for line in README.read_text().splitlines() if line.startswith(f"| {README_ROWS[dialect]}"))
    return re.search(r'profile="([^"]+)"', row).group(1)


@pytest.mark.parametrize("dialect", sorted(DIALECTS))
def test_the_readme_recipe_for_each_carrier(dialect, tmp_path):
    """The recipe exactly as the README gives it (profile by name), against the dialect serving its own
    default models: one job, completed with video and previews."""
    name = readme_profile(dialect)
    profile = get_profile(name)
    with sw.start_emulator(dialect=dialect, job_duration_s=0.3, seed=2, data_dir=tmp_path / "emu") as emu:
        sw.configure(base_url=emu.base_url, api_key=emu.api_key, home=tmp_path / "home", profile=name)
        spec = profile.models[0]
        # the smallest clip the profile offers (the emulator renders it for real)
        size = min(spec.sizes, key=lambda s: eval(s.replace("x", "*")))
        seconds = min(spec.seconds, key=int)
        job = sw.submit(f"{dialect} recipe: a red ball", size=size, seconds=seconds, cache=False)
        settle([job], timeout=90)
        assert_media(job)
