"""Seeded fault injection, rate limits, lifecycle timing, expiry, persistence and the process handle."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import httpx
import openai
import pytest

from sora_widgets import start_emulator
from sora_widgets.emulator.engine import job_duration

from .conftest import TINY_PROFILE
from .test_routes import raw


def client_for(emu, retries=0):
    return openai.OpenAI(base_url=emu.base_url, api_key=emu.api_key, max_retries=retries)


def statuses(emu, n):
    with httpx.Client(headers={"Authorization": f"Bearer {emu.api_key}"}) as client:
        return [client.get(f"{emu.base_url}/videos?limit=1").status_code for _ in range(n)]


def test_fail_rate_is_seeded_and_reproducible():
    with start_emulator(fail_rate=0.5, seed=42, profile=TINY_PROFILE) as a:
        first = statuses(a, 30)
    with start_emulator(fail_rate=0.5, seed=42, profile=TINY_PROFILE) as b:
        second = statuses(b, 30)
    with start_emulator(fail_rate=0.5, seed=43, profile=TINY_PROFILE) as c:
        other = statuses(c, 30)
    assert first == second
    assert first != other
    assert set(first) <= {200, 500, 503} and 200 in first and ({500, 503} & set(first))


def test_fail_rate_maps_to_internal_server_error():
    with start_emulator(fail_rate=1.0, seed=1, profile=TINY_PROFILE) as emu:
        with pytest.raises(openai.InternalServerError):
            client_for(emu).videos.list()
        assert emu.stats()["faults"]


def test_rate_limit_429_with_headers():
    with start_emulator(rate_limit_per_minute=3, profile=TINY_PROFILE) as emu:
        codes = [raw(emu, "GET", "/videos") for _ in range(4)]
        assert [r.status_code for r in codes] == [200, 200, 200, 429]
        ok, limited = codes[0], codes[3]
        assert ok.headers["x-ratelimit-limit-requests"] == "3"
        assert ok.headers["x-ratelimit-remaining-requests"] == "2"
        assert ok.headers["x-ratelimit-reset-requests"].endswith("s")
        assert int(limited.headers["retry-after"]) >= 1 and int(limited.headers["retry-after-ms"]) > 0
        assert limited.json()["error"]["code"] == "rate_limit_exceeded"
        with pytest.raises(openai.RateLimitError):
            client_for(emu).videos.list()


def test_latency_is_added():
    with start_emulator(latency_ms=300, profile=TINY_PROFILE) as emu:
        raw(emu, "GET", "/videos")  # warm the connection path
        start = time.perf_counter()
        raw(emu, "GET", "/videos")
        assert time.perf_counter() - start >= 0.3


def test_dropped_downloads():
    with start_emulator(speed=40, drop_download_rate=1.0, seed=3, profile=TINY_PROFILE) as emu:
        sdk = client_for(emu)
        video = sdk.videos.create_and_poll(prompt="drop me", size="160x90", seconds="1")
        with pytest.raises(httpx.RemoteProtocolError), httpx.stream(
            "GET", f"{emu.base_url}/videos/{video.id}/content", headers={"Authorization": f"Bearer {emu.api_key}"}
        ) as resp:
            assert resp.status_code == 200
            resp.read()
        with pytest.raises(openai.APIConnectionError):
            sdk.videos.download_content(video.id)
        assert emu.stats()["faults"]["dropped_download"] == 2


def test_lost_create_job_exists_though_the_client_saw_a_failure():
    with start_emulator(speed=40, lost_create_rate=1.0, seed=5, profile=TINY_PROFILE) as emu:
        sdk = client_for(emu)
        outcomes = []
        for i in range(6):
            try:
                sdk.videos.create(prompt=f"lost {i}", size="160x90", seconds="1")
                outcomes.append("ok")
            except openai.InternalServerError:
                outcomes.append("5xx")
            except openai.APIConnectionError:
                outcomes.append("dropped")
        assert "ok" not in outcomes and {"5xx", "dropped"} == set(outcomes)
        listed = [v for v in sdk.videos.list(limit=100)]
        assert sorted(v.prompt for v in listed) == [f"lost {i}" for i in range(6)]  # every job was made
        assert emu.stats()["videos"] == 6
        assert sdk.videos.poll(listed[0].id).status == "completed"  # and it renders (and would be billed)


def test_fail_rate_on_creates_loses_some_after_the_job_is_made():
    with start_emulator(fail_rate=1.0, seed=11, profile=TINY_PROFILE) as emu:
        n = 20
        for _ in range(n):
            try:
                raw(emu, "POST", "/videos", json={"prompt": "p", "size": "160x90", "seconds": "1"})
            except httpx.RemoteProtocolError:
                pass
        stats = emu.stats()
        assert 0 < stats["videos"] < n  # some creates failed before, some after the job was made
        assert stats["faults"]["lost_create"] == stats["videos"]


def test_concurrency_bound_queues_the_rest():
    with start_emulator(job_duration_s=5.0, max_concurrent_renders=1, profile=TINY_PROFILE) as emu:
        sdk = client_for(emu)
        ids = [sdk.videos.create(prompt=f"q{i}", size="160x90", seconds="1").id for i in range(3)]
        time.sleep(0.5)
        states = [sdk.videos.retrieve(i).status for i in ids]
        assert states == ["in_progress", "queued", "queued"]


def test_job_duration_and_model_speeds():
    assert job_duration("sora-2", "1280x720", 4, 1.0, None) == pytest.approx(10.0)
    assert job_duration("sora-2-pro", "1280x720", 4, 1.0, None) > job_duration("sora-2", "1280x720", 4, 1.0, None)
    assert job_duration("sora-2", "1280x720", 4, 40.0, None) == pytest.approx(0.25)
    assert job_duration("sora-2-pro", "1792x1024", 12, 1.0, 2.5) == 2.5
    with start_emulator(job_duration_s=1.0, profile=TINY_PROFILE) as emu:
        sdk = client_for(emu)
        start = time.perf_counter()
        video = sdk.videos.create_and_poll(prompt="timed", size="160x90", seconds="1", poll_interval_ms=50)
        assert video.status == "completed"
        assert 1.0 <= time.perf_counter() - start < 5.0


def test_expiry_makes_content_404(tmp_path):
    with start_emulator(speed=40, expires_after_s=1, profile=TINY_PROFILE) as emu:
        sdk = client_for(emu)
        video = sdk.videos.create_and_poll(prompt="short-lived", size="160x90", seconds="1")
        assert video.expires_at == video.completed_at + 1
        sdk.videos.download_content(video.id).read()
        time.sleep(max(0.0, video.expires_at + 1 - time.time()) + 0.2)
        with pytest.raises(openai.NotFoundError) as exc:
            sdk.videos.download_content(video.id)
        assert "expired" in exc.value.body["message"]
        assert sdk.videos.retrieve(video.id).status == "completed"  # the object stays


def test_restart_serves_the_videos_it_made(tmp_path):
    data = tmp_path / "state"
    with start_emulator(speed=40, data_dir=data, api_key="sk-test-persist", profile=TINY_PROFILE) as emu:
        sdk = client_for(emu)
        done = sdk.videos.create_and_poll(prompt="kept across restarts", size="160x90", seconds="1")
        mp4 = sdk.videos.download_content(done.id).read()
        pending = sdk.videos.create(prompt="still queued", size="160x90", seconds="4", model="sora-2-pro").id
        gone = sdk.videos.create_and_poll(prompt="deleted", size="160x90", seconds="1").id
        sdk.videos.delete(gone)
    assert data.exists()
    with start_emulator(speed=40, data_dir=data, api_key="sk-test-persist", profile=TINY_PROFILE) as emu:
        sdk = client_for(emu)
        again = sdk.videos.retrieve(done.id)
        assert again.status == "completed" and again.completed_at == done.completed_at
        assert sdk.videos.download_content(done.id).read() == mp4
        assert sdk.videos.poll(pending).status == "completed"  # interrupted jobs resume
        with pytest.raises(openai.NotFoundError):
            sdk.videos.retrieve(gone)
        assert emu.stats()["videos"] == 2


def test_handle_stops_child_and_cleans_up():
    emu = start_emulator(profile=TINY_PROFILE)
    pid, data_dir = emu.pid, emu.data_dir
    assert emu.base_url.startswith("http://127.0.0.1:") and emu.base_url.endswith("/v1")
    assert emu.api_key.startswith("sk-emulator-") and emu.api_key not in repr(emu)
    assert emu.running
    emu.stop()
    emu.stop()  # idempotent
    assert not emu.running
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    assert not data_dir.exists()


def test_child_exits_when_its_parent_dies(tmp_path):
    script = (
        "import sys; from sora_widgets import start_emulator\n"
        "e = start_emulator()\n"
        "print(e.pid, flush=True)\n"
        "import os; os._exit(0)\n"  # no atexit, no cleanup: the child must notice on its own
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60,
                         cwd=os.path.dirname(os.path.dirname(os.path.dirname(__file__))))
    pid = int(out.stdout.strip())
    deadline = time.time() + 15
    while time.time() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            break
        try:  # reap it if it became our zombie (it is not our child, so this normally raises)
            os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            pass
        time.sleep(0.1)
    else:
        os.kill(pid, signal.SIGKILL)
        pytest.fail("the emulator outlived its parent")


def test_cli_help_lists_every_option():
    out = subprocess.run([sys.executable, "-m", "sora_widgets.emulator", "--help"], capture_output=True, text=True,
                         timeout=60, check=True).stdout
    for flag in ("--port", "--speed", "--job-duration-s", "--fail-rate", "--rate-limit-per-minute", "--latency-ms",
                 "--drop-download-rate", "--seed", "--api-key", "--data-dir", "--profile", "--max-concurrent-renders",
                 "--lost-create-rate", "--expires-after-s", "--host", "--webhook-url", "--webhook-secret"):
        assert flag in out


def test_cli_prints_base_url_and_key(tmp_path):
    proc = subprocess.Popen(
        [sys.executable, "-m", "sora_widgets.emulator", "--port", "0", "--api-key", "sk-cli-test", "--data-dir",
         str(tmp_path), "--profile", "openai"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
    )
    try:
        base_url = proc.stdout.readline().split(": ", 1)[1].strip()
        key = proc.stdout.readline().split(": ", 1)[1].strip()
        assert base_url.startswith("http://127.0.0.1:") and base_url.endswith("/v1")
        assert key == "sk-cli-test"
        resp = httpx.get(base_url + "/videos", headers={"Authorization": f"Bearer {key}"})
        assert resp.status_code == 200 and resp.json()["object"] == "list"
    finally:
        proc.terminate()
        proc.wait(timeout=15)
    assert proc.returncode == 0
    assert "sk-cli-test" not in proc.stderr.read()  # the key is never logged


def test_deleting_a_rendering_job_frees_its_worker():
    with start_emulator(speed=40, max_concurrent_renders=1) as emu:
        sdk = client_for(emu)
        big = sdk.videos.create(prompt="A long render", model="sora-2-pro", size="1792x1024", seconds="12")
        partial = emu.data_dir / "videos" / big.id / "video.tmp.mp4"
        deadline = time.time() + 30
        while not partial.exists() and time.time() < deadline:  # the worker is encoding it now
            time.sleep(0.02)
        assert partial.exists()
        sdk.videos.delete(big.id)
        start = time.perf_counter()
        small = sdk.videos.create_and_poll(prompt="next in line", size="720x1280", seconds="4", poll_interval_ms=50)
        assert small.status == "completed"
        # the big render alone takes several seconds; a cancelled one gives its worker back within a few frames
        assert time.perf_counter() - start < 6.0
        assert not (emu.data_dir / "videos" / big.id).exists()


def test_webhooks_are_signed_like_openais():
    import http.server
    import queue
    import threading

    received: queue.Queue = queue.Queue()

    class Hook(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["content-length"]))
            received.put((body, dict(self.headers)))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Hook)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/hook"
        with start_emulator(speed=40, profile=TINY_PROFILE, webhook_url=url) as emu:
            assert emu.webhook_secret.startswith("whsec_")
            sdk = client_for(emu)
            ok = sdk.videos.create(prompt="hooked", size="160x90", seconds="1")
            bad = sdk.videos.create(prompt="Mario hooked", size="160x90", seconds="1")
            events = {}
            for _ in range(2):
                body, headers = received.get(timeout=30)
                event = sdk.webhooks.unwrap(body, headers, secret=emu.webhook_secret)
                events[event.data.id] = event.type
            assert events == {ok.id: "video.completed", bad.id: "video.failed"}
            with pytest.raises(openai.InvalidWebhookSignatureError):
                sdk.webhooks.unwrap(body, headers, secret="whsec_" + "A" * 43 + "=")
            assert emu.stats()["webhooks"]["delivered"] == 2
    finally:
        server.shutdown()
        server.server_close()


def test_status_requests_stay_fast_while_rendering():
    with start_emulator(speed=40, max_concurrent_renders=2) as emu:
        sdk = client_for(emu)
        jobs = [sdk.videos.create(prompt=f"busy {i}", model="sora-2-pro", size="1792x1024", seconds="12").id
                for i in range(2)]
        partial = emu.data_dir / "videos" / jobs[0] / "video.tmp.mp4"
        deadline = time.time() + 30
        while not partial.exists() and time.time() < deadline:
            time.sleep(0.02)
        latencies = []
        with httpx.Client(headers={"Authorization": f"Bearer {emu.api_key}"}) as client:
            for i in range(200):
                start = time.perf_counter()
                assert client.get(f"{emu.base_url}/videos/{jobs[i % 2]}").status_code == 200
                latencies.append(time.perf_counter() - start)
        assert emu.stats()["rendering"] == 2  # still rendering the whole time
        latencies.sort()
        # generous bounds for a loaded CI machine; the benchmark measures the real figures
        assert latencies[len(latencies) // 2] < 0.025 and latencies[int(len(latencies) * 0.95)] < 0.2


@pytest.mark.parametrize(
    "kwargs",
    [{"speed": 0}, {"fail_rate": 1.5}, {"drop_download_rate": -0.1}, {"rate_limit_per_minute": 0},
     {"max_concurrent_renders": 0}, {"webhook_url": "http://example.com/hook"}, {"latency_ms": -1}],
)
def test_bad_options_fail_fast(kwargs):
    with pytest.raises(ValueError):
        start_emulator(**kwargs)


def test_echo_key_in_errors_quotes_the_key_in_a_failed_job(tmp_path):
    """The fault option the client's redaction is tested against: a failed job's message carries the key."""
    key = "azure-Key_0123456789abcdef"
    with start_emulator(speed=40, seed=5, api_key=key, echo_key_in_errors=True, profile=TINY_PROFILE,
                        data_dir=tmp_path / "emu") as emu, client_for(emu, retries=3) as sdk:
        video = sdk.videos.create(prompt="Mario jumping on a mushroom", model=TINY_PROFILE.default_model,
                                  size=TINY_PROFILE.models[0].sizes[0], seconds=TINY_PROFILE.models[0].seconds[0])
        deadline = time.monotonic() + 30
        while video.status != "failed":
            assert time.monotonic() < deadline
            time.sleep(0.1)
            video = sdk.videos.retrieve(video.id)
        assert key in video.error.message and video.error.code == "moderation_blocked"
