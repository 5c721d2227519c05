"""A loopback OpenAI-style server standing in for the reward model under evaluation (``evaluate --judge endpoint``),
for the evaluator's fault tests and fault table; it runs in a thread of its own, so a synchronous caller (the CLI in
this process or a child process) can talk to it.

It answers ``POST /v1/chat/completions`` with one well-formed verdict per requested choice (``<think>…</think>
<answer>1</answer>``: always Response 1, so the metrics are known by hand) and records each request's prompt text and
images. ``give_up_on`` makes it fail some prompts: a request whose prompt text contains one of those strings gets an
HTTP 200 whose body is not JSON (the client retries, then gives up), or ``fail_status`` if set (e.g. 400, 502).
``on_request(n, body)`` is called before the n-th reply (1-based), e.g. to damage a file mid-run.
Binds 127.0.0.1 only (:mod:`r1_reward.loopback_http`).
"""

import base64
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from r1_reward.loopback_http import ServedInThread

VERDICT = "<think>Response 1 answers the question.</think><answer>1</answer>"


@dataclass
class Seen:
    """One request as the server saw it: the prompt text and the decoded bytes of each image sent."""

    text: str
    images: list[bytes] = field(default_factory=list)


def _parts(body: dict[str, Any]) -> Seen:
    content = body["messages"][0]["content"]
    text = "".join(part.get("text", "") for part in content if part.get("type") == "text")
    urls = [part["image_url"]["url"] for part in content if part.get("type") == "image_url"]
    return Seen(text, [base64.b64decode(url.split(",", 1)[1]) for url in urls])


class LoopbackRewardModel:
    """``with LoopbackRewardModel(...) as base_url:`` serves until the block ends; ``seen`` lists the requests."""

    def __init__(
        self,
        give_up_on: tuple[str, ...] = (),
        fail_status: int | None = None,
        on_request: Callable[[int, dict[str, Any]], None] | None = None,
    ) -> None:
        self.give_up_on, self.fail_status, self.on_request = give_up_on, fail_status, on_request
        self.seen: list[Seen] = []
        app = web.Application(client_max_size=64 << 20)
        app.router.add_post("/v1/chat/completions", self._handle)
        self._served = ServedInThread(app)

    def __enter__(self) -> str:
        return self._served.__enter__()

    def __exit__(self, *_: object) -> None:
        self._served.__exit__()

    async def _handle(self, request: web.Request) -> web.Response:
        body = await request.json()
        seen = _parts(body)
        self.seen.append(seen)
        if self.on_request is not None:
            self.on_request(len(self.seen), body)
        if any(marker in seen.text for marker in self.give_up_on):
            if self.fail_status is not None:
                return web.json_response({"error": "refused"}, status=self.fail_status)
            return web.Response(text="<html>upstream hiccup</html>", content_type="text/html")
        choice = {"index": 0, "message": {"role": "assistant", "content": VERDICT}}
        return web.json_response({"object": "chat.completion", "choices": [choice] * int(body.get("n", 1))})
