"""Two identical requests race: one create's answer is slow, the other's is lost. The job whose create was lost
must not keep the other's video: each ends with its own, and the lost one is created exactly once more.

A scripted backend (the emulator cannot order responses like this on purpose), through the real SDK."""

from __future__ import annotations

import asyncio
import json
import time

import httpx2
import openai
import pytest

import sora_widgets as sw
from sora_widgets.profiles import BackendProfile, ModelSpec

PROFILE = BackendProfile(name="tiny-race", models=(ModelSpec("tiny-1", ("96x64",), ("1",), {"*": 0.01}),))


class ScriptedBackend:
    def __init__(self) -> None:
        self.videos: list[dict] = []
        self.posts = 0

    def make(self, prompt: str) -> dict:
        video = {"id": f"video_{len(self.videos) + 1}", "object": "video", "model": "tiny-1", "status": "queued",
                 "progress": 0, "created_at": int(time.time()), "completed_at": None, "expires_at": None,
                 "prompt": prompt, "size": "96x64", "seconds": "1", "remixed_from_video_id": None, "error": None}
        self.videos.append(video)
        return video

    async def __call__(self, request: httpx2.Request) -> httpx2.Response:
        path = request.url.path
        if request.method == "POST" and path.endswith("/videos"):
            self.posts += 1
            prompt = "same prompt twice"
            if self.posts == 1:  # job A: made now, answered late
                video = self.make(prompt)
                await asyncio.sleep(1.5)
                return httpx2.Response(200, json=video)
            if self.posts == 2:  # job B: fails before anything is made
                return httpx2.Response(500, json={"error": {"message": "boom", "type": "server_error",
                                                            "param": None, "code": None}})
            return httpx2.Response(200, json=self.make(prompt))
        if request.method == "GET" and path.endswith("/videos"):
            data = sorted(self.videos, key=lambda v: v["id"], reverse=True)
            return httpx2.Response(200, json={"object": "list", "data": data, "has_more": False,
                                              "first_id": None, "last_id": None})
        if request.method == "GET":
            vid = path.rsplit("/", 1)[-1]
            return httpx2.Response(200, json=next(v for v in self.videos if v["id"] == vid))
        return httpx2.Response(404, json={"error": {"message": "no", "type": "x", "param": None, "code": None}})


def test_a_lost_create_does_not_keep_a_video_that_belongs_to_another_job(tmp_path, wait_until):
    backend = ScriptedBackend()
    client = openai.AsyncOpenAI(api_key="k", base_url="http://race.test/v1",
                                http_client=openai.DefaultAsyncHttpxClient(transport=httpx2.MockTransport(backend)))
    sw.configure(client=client, home=tmp_path, profile=PROFILE)
    a = sw.submit("same prompt twice", cache=False)
    wait_until(lambda: backend.posts >= 1)
    b = sw.submit("same prompt twice", cache=False)
    wait_until(lambda: a.video_id is not None and b.video_id is not None and a.video_id != b.video_id
               and backend.posts == 3, timeout=30)
    assert a.video_id == "video_1" and b.video_id == "video_2"
    assert len(backend.videos) == 2 and backend.posts == 3
    rows = {j.id: j.video_id for j in sw.jobs()}
    assert rows == {a.id: "video_1", b.id: "video_2"}
    assert json.dumps(sorted(rows.values())) == '["video_1", "video_2"]'


def test_without_list_an_unknown_create_is_never_sent_twice(tmp_path):
    posts = []

    def backend(request: httpx2.Request) -> httpx2.Response:
        posts.append(request.url.path)
        return httpx2.Response(502, json={"error": {"message": "bad gateway", "type": "server_error",
                                                    "param": None, "code": None}})

    no_list = BackendProfile(name="tiny-no-list", features=frozenset({"progress"}),
                             models=(ModelSpec("tiny-1", ("96x64",), ("1",), {"*": 0.25}),))
    client = openai.AsyncOpenAI(api_key="k", base_url="http://nolist.test/v1",
                                http_client=openai.DefaultAsyncHttpxClient(transport=httpx2.MockTransport(backend)))
    sw.configure(client=client, home=tmp_path, profile=no_list)
    with pytest.raises(sw.BackendUnavailableError, match=r"outcome is unknown.*cannot list") as info:
        sw.generate("maybe made, maybe not", timeout=30)
    job = info.value.job
    assert job.status == "unknown" and job.error.code == "unknown_outcome" and job.error.retryable
    assert posts == ["/v1/videos"]  # one create, never repeated blindly
    assert sw.spend() == pytest.approx(0.25)  # it may have been made: counted
