"""``--dialect fal`` driven by fal's official client, ``fal-client``.

How fal-client is pointed at the emulator (what worked, fal-client 1.0.x): it builds only the submit URL itself,
as ``https://`` + ``$FAL_QUEUE_RUN_HOST`` (read when ``fal_client`` is imported), and then follows the
``status_url``/``response_url`` the queue answers with. So the emulator serves HTTPS with a throwaway certificate,
the client runs in a fresh interpreter with ``FAL_QUEUE_RUN_HOST=127.0.0.1:<port>``, ``FAL_KEY`` and
``SSL_CERT_FILE`` (httpx trusts that file), and uses ``fal_client.SyncClient(key=...)`` exactly as against fal.
"""

from __future__ import annotations

import io
import json
import os
import ssl
import subprocess
import sys

import av
import httpx
import pytest

from .helpers import self_signed_cert

#: Runs in the child interpreter: submits each job, polls with logs until completed, fetches each result.
CLIENT_SCRIPT = r'''
import json, os, sys
import fal_client
from fal_client.client import FalClientHTTPError

app, jobs, cancel_last = sys.argv[1], json.loads(sys.argv[2]), sys.argv[3] == "cancel-last"
client = fal_client.SyncClient(key=os.environ["FAL_KEY"])
try:
    handles = [client.submit(app, arguments=args) for args in jobs]
except FalClientHTTPError as exc:
    print(json.dumps({"submit_error": {"status": exc.status_code, "message": str(exc)}}))
    sys.exit(0)
cancelled = None
if cancel_last:  # while it waits in the queue behind the others
    handle = handles.pop()
    handle.cancel()
    try:
        handle.status()
    except FalClientHTTPError as exc:
        cancelled = {"request_id": handle.request_id, "status_after": exc.status_code}
first = [handle.status(with_logs=True) for handle in handles]  # right after submitting them all
out = []
for handle, status in zip(handles, first):
    events = [{"type": type(status).__name__, **vars(status)}]
    for status in handle.iter_events(with_logs=True, interval=0.05):
        events.append({"type": type(status).__name__, **vars(status)})
    try:
        result, error = handle.get(), None
    except FalClientHTTPError as exc:
        result, error = None, {"status": exc.status_code, "message": str(exc)}
    out.append({"request_id": handle.request_id, "status_url": handle.status_url, "events": events,
                "result": result, "error": error})
print(json.dumps({"jobs": out, "cancelled": cancelled}, default=str))
'''


@pytest.fixture(scope="module")
def fal_emulator(tmp_path_factory):
    from sora_widgets import start_emulator

    cert, key = self_signed_cert(tmp_path_factory.mktemp("tls"))
    with start_emulator(speed=40, seed=9, dialect="fal", job_duration_s=1.2, max_concurrent_renders=1,
                        tls_certfile=cert, tls_keyfile=key, data_dir=tmp_path_factory.mktemp("fal")) as emu:
        yield emu, cert


def run_fal_client(emu, cert, app, jobs, key=None, tmp_path=None, cancel_last=False):
    script = tmp_path / "fal_run.py"
    script.write_text(CLIENT_SCRIPT)
    env = dict(os.environ, FAL_QUEUE_RUN_HOST=f"127.0.0.1:{emu.port}", FAL_KEY=key or emu.api_key,
               SSL_CERT_FILE=cert)
    proc = subprocess.run([sys.executable, str(script), app, json.dumps(jobs), "cancel-last" if cancel_last else "-"],
                          env=env, capture_output=True, text=True, timeout=180)
    assert proc.returncode == 0, proc.stderr[-4000:]
    return json.loads(proc.stdout)


def test_queue_submit_status_result_and_the_video_url(fal_emulator, tmp_path):
    emu, cert = fal_emulator
    jobs = [{"prompt": f"A {colour} star spinning slowly", "duration": "4s", "aspect_ratio": "16:9"}
            for colour in ("red", "green", "blue")]
    out = run_fal_client(emu, cert, "fal-ai/veo3", jobs, tmp_path=tmp_path)["jobs"]
    assert emu.stats()["config"]["dialect"] == "fal"
    # one render slot: the second and third wait in the queue behind the first, in order
    first_seen = [job["events"][0] for job in out]
    assert first_seen[1] == {"type": "Queued", "position": 0}
    assert first_seen[2] == {"type": "Queued", "position": 1}
    for job in out:
        kinds = [event["type"] for event in job["events"]]
        assert kinds[-1] == "Completed" and "InProgress" in kinds
        assert job["status_url"].startswith(f"https://127.0.0.1:{emu.port}/fal-ai/veo3/requests/")
        progress = next(e for e in job["events"] if e["type"] == "InProgress")
        assert progress["logs"] and progress["logs"][0]["message"] == "Starting generation"
        completed = job["events"][-1]
        assert completed["error"] is None and completed["metrics"]["inference_time"] > 0
        video = job["result"]["video"]
        assert video["content_type"] == "video/mp4" and video["file_name"] == "output.mp4"
        data = httpx.get(video["url"], verify=ssl.create_default_context(cafile=cert)).content  # public, like fal's media URLs: no key
        assert len(data) == video["file_size"]
        with av.open(io.BytesIO(data)) as container:
            assert [s.type for s in container.streams] == ["video", "audio"]  # veo3 on fal: audio on
            assert sum(1 for _ in container.decode(video=0)) == 96
    assert len({job["request_id"] for job in out}) == 3


def test_content_policy_and_validation_and_key(fal_emulator, tmp_path):
    emu, cert = fal_emulator
    out = run_fal_client(emu, cert, "fal-ai/kling-video/v2.1/standard/text-to-video",
                         [{"prompt": "Pikachu surfing", "duration": "5"}], tmp_path=tmp_path)["jobs"][0]
    completed = out["events"][-1]
    assert completed["type"] == "Completed" and completed["error_type"] == "content_policy_violation"
    assert out["result"] is None and out["error"]["status"] == 422
    assert out["status_url"].startswith(f"https://127.0.0.1:{emu.port}/fal-ai/kling-video/requests/")
    bad = run_fal_client(emu, cert, "fal-ai/veo3", [{"prompt": "a cube", "duration": "5s"}], tmp_path=tmp_path)
    assert bad["submit_error"]["status"] == 422 and "'4s', '6s', '8s'" in bad["submit_error"]["message"]
    wrong = run_fal_client(emu, cert, "fal-ai/veo3", [{"prompt": "a cube"}], key="not-the-key", tmp_path=tmp_path)
    assert wrong["submit_error"]["status"] == 401


def test_a_queued_request_can_be_cancelled(fal_emulator, tmp_path):
    emu, cert = fal_emulator
    jobs = [{"prompt": "A white ring pulsing", "duration": "4s"}, {"prompt": "A black ring pulsing", "duration": "4s"}]
    out = run_fal_client(emu, cert, "fal-ai/veo3/fast", jobs, tmp_path=tmp_path, cancel_last=True)
    assert out["cancelled"]["status_after"] == 404  # gone from the queue
    assert [job["events"][-1]["type"] for job in out["jobs"]] == ["Completed"]
