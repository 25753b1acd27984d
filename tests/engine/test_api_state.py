"""The process-wide API state: reconfiguring under callbacks, reading the journal without a backend,
forcing the embedded emulator, and what ``backend_info()`` tells widgets."""

from __future__ import annotations

import threading
import time

import pytest

import sora_widgets as sw
import sora_widgets.embedded
from sora_widgets import api
from sora_widgets.profiles import BackendProfile, ModelSpec
from sora_widgets.store import Journal

FAST = 5.0  # well under the engine's 10 s + 10 s shutdown timeouts that a deadlock would run into
#: A profile object that is never registered by name.
UNREGISTERED = BackendProfile(
    name="unregistered-test",
    models=(ModelSpec("tiny-1", ("160x90",), ("1",), {"*": 0.01}),),
    description="tests: never registered",
)


def wait_until(predicate, timeout: float = 30.0) -> None:
    """A condition with a deadline (not a sleep)."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout}s")
        time.sleep(0.01)

def _threads() -> set[threading.Thread]:
    return set(threading.enumerate())


@pytest.mark.parametrize("trigger", ["reset", "configure"])
def test_a_callback_on_the_dying_engine_can_read_the_api_while_it_is_torn_down(
    trigger, configured, emulator, tmp_path, monkeypatch
):
    monkeypatch.setenv("SORA_WIDGETS_HOME", str(tmp_path / "default-home"))  # where a reset process reads
    old_engine = api.engine()
    go = threading.Event()
    results: dict[str, object] = {}
    finished = threading.Event()

    def on_change(job):
        if results or finished.is_set():
            return
        results["started"] = True
        go.wait(30)  # hold the engine thread until the teardown has begun
        t0 = time.monotonic()
        try:
            results["spend"] = sw.spend()
            results["budget"] = sw.budget_remaining()
            results["jobs"] = len(sw.jobs())
            if trigger == "configure":  # the configuration (backend) survives: a new engine may be built
                results["engine"] = api.engine()
        except BaseException as exc:
            results["error"] = exc
        results["seconds"] = time.monotonic() - t0
        finished.set()

    job = sw.submit("a lighthouse at dusk", seconds=4)
    job.on_change(on_change)
    wait_until(lambda: "started" in results)

    def tear_down():
        if trigger == "reset":
            api.reset()
        else:
            sw.configure(home=tmp_path / "other-home")

    t0 = time.monotonic()
    worker = threading.Thread(target=tear_down, daemon=True)
    worker.start()
    wait_until(lambda: old_engine._closed)  # the teardown has begun (with the old code: under the api lock)
    go.set()
    worker.join(30)
    elapsed = time.monotonic() - t0
    assert not worker.is_alive()
    assert finished.wait(30)
    assert "error" not in results, results.get("error")
    assert results["seconds"] < FAST and elapsed < FAST, (results["seconds"], elapsed)
    if trigger == "configure":
        assert results["engine"] is not old_engine and not results["engine"].closed


def test_a_callback_can_reconfigure_from_the_engine_thread(configured, tmp_path):
    outcome: dict[str, object] = {}

    def on_change(job):
        if outcome:
            return
        t0 = time.monotonic()
        try:
            outcome["info"] = sw.configure(home=tmp_path / "elsewhere")
        except BaseException as exc:
            outcome["error"] = exc
        outcome["seconds"] = time.monotonic() - t0

    old_engine = api.engine()
    job = sw.submit("a paper boat on a pond", seconds=4)
    job.on_change(on_change)
    wait_until(lambda: "seconds" in outcome)
    assert "error" not in outcome, outcome.get("error")
    assert outcome["seconds"] < FAST
    wait_until(lambda: old_engine.thread is not None and not old_engine.thread.is_alive(), timeout=FAST * 3)
    # The new configuration is live: a new engine and its (empty) journal.
    assert sw.jobs() == []


def test_reading_the_journal_starts_no_backend(monkeypatch, tmp_path):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    monkeypatch.setenv("SORA_WIDGETS_HOME", str(tmp_path))
    journal = Journal(tmp_path)
    key = f"local-emulator:{tmp_path / 'emulator'}"
    base = {"model": "sora-2", "size": "720x1280", "seconds": "4", "created_at": time.time()}
    journal.insert({**base, "id": "job_aaa", "backend_key": key, "backend_label": "local emulator",
                    "video_id": "video_1", "prompt": "a red kite", "status": "completed", "cost_usd": 0.4})
    journal.insert({**base, "id": "job_bbb", "backend_key": "https://elsewhere.example/v1",
                    "video_id": "video_2", "prompt": "a blue kite", "status": "failed", "cost_usd": 1.2})
    journal.close()
    sw.configure(budget_usd=1.0)  # limits only: still nothing to start
    before = _threads()

    listed = sw.jobs()
    assert [j.id for j in listed] == ["job_aaa", "job_bbb"]
    assert sw.get_job("job_a") is listed[0]
    assert sw.get_job("video_2") is listed[1]
    assert sw.spend() == pytest.approx(0.4)  # only this backend's jobs
    assert sw.budget_remaining() == pytest.approx(0.6)
    assert sw.backend_info()["is_emulator"]

    assert sora_widgets.embedded.current() is None and api.session().current_engine() is None
    assert _threads() - before == set(), "reading the journal started threads"


def test_jobs_read_before_the_engine_are_the_ones_it_then_drives(configured, emulator, tmp_path):
    done = sw.generate("a windmill turning", seconds=4)
    api.reset()
    sw.configure(base_url=emulator.base_url, api_key=emulator.api_key, home=tmp_path / "home")

    listed = sw.jobs()
    assert api.session().current_engine() is None  # read straight from the journal
    [again] = [j for j in listed if j.id == done.id]
    assert again.status == "completed" and again.video_path and again.video_path.exists()
    remix = again.remix("the windmill at night")  # the first action builds the engine and joins this job to it
    assert api.session().current_engine() is not None
    assert remix.wait(60).status == "completed"
    assert sw.get_job(done.id) is again  # the same object the caller already held
    assert {j.id for j in sw.jobs()} == {done.id, remix.id}


def test_base_url_emulator_forces_the_embedded_emulator_even_with_a_key(monkeypatch, tmp_path, capfd):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-a-real-key")
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")  # nothing listens there
    monkeypatch.setenv("SORA_WIDGETS_HOME", str(tmp_path))
    assert not sw.backend_info()["is_emulator"]
    info = sw.configure(base_url="emulator")
    assert info["is_emulator"] and info["label"] == "local emulator"
    job = sw.generate("a snail on a leaf", seconds=4, timeout=120)
    assert job.status == "completed" and job.backend == "local emulator"
    assert job.video_path.is_relative_to(tmp_path)
    out, err = capfd.readouterr()
    assert out.count("using the local emulator at http://127.0.0.1:") == 1
    assert "sk-test-not-a-real-key" not in out + err
    # base_url=None keeps the default: the key (and OPENAI_BASE_URL) win again.
    assert not sw.configure(base_url=None)["is_emulator"]


def test_backend_info_names_the_port_and_never_credentials(emulator):
    info = sw.configure(base_url="http://user:hunter2@127.0.0.1:8123/v1?token=abc#x", api_key="sk-secret-1")
    assert info["label"] == "127.0.0.1:8123"
    assert info["base_url_host"] == "127.0.0.1" and info["port"] == 8123 and not info["is_emulator"]
    text = repr(info)
    for secret in ("hunter2", "user", "token", "abc", "sk-secret-1"):
        assert secret not in text
    assert sw.configure(base_url="http://127.0.0.1:8124/v1")["label"] == "127.0.0.1:8124"
    assert sw.configure(base_url="https://api.openai.com/v1")["label"] == "api.openai.com"

    # Built engine: the same label, and the key that its jobs carry.
    sw.configure(base_url=emulator.base_url, api_key=emulator.api_key, profile=UNREGISTERED)
    before = sw.backend_info()
    port = emulator.base_url.split(":")[2].split("/")[0]
    assert before["label"] == f"127.0.0.1:{port}"
    eng = api.engine()
    after = sw.backend_info()
    assert after["label"] == before["label"] == eng.label
    assert after["backend_key"] == before["backend_key"] == eng.backend_key
    # An unregistered profile object is available without reaching into the engine.
    assert before["profile_object"] is UNREGISTERED and after["profile_object"] is UNREGISTERED
    assert after["profile"] == "unregistered-test"


def test_an_object_from_a_replaced_configuration_acts_through_the_current_one(configured, emulator, tmp_path):
    """A script may keep a job object across ``sw.configure()``: acting on it must use the configuration now in
    force (same backend: it works), never the closed engine and journal behind the old object."""
    old = sw.generate("a lighthouse at dusk", seconds=4)
    sw.configure(base_url=emulator.base_url, api_key=emulator.api_key, home=tmp_path / "home")

    assert sw.get_job(old.id) is old  # the same object whatever the configuration
    remix = old.remix("the lighthouse in fog")
    assert remix.wait(60).status == "completed"
    assert remix.remixed_from == old.id
    old.delete()
    assert old.status == "deleted"
    assert sw.get_job(old.id).status == "deleted"
