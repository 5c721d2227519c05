"""A loopback OpenAI-style judge server that can be told to misbehave: for fault tests, the reward benchmark and
for trying the ``endpoint`` backend without a GPU (``python -m r1_reward.testing.loopback_judge --port 8000``).

It answers ``POST /v1/chat/completions`` as a *correct* judge of our prompt: "yes" iff the reasoning says
"Response N is better" for the final answer N. Faults: ``http500``, ``http401``, ``garbage`` (a non-JSON body),
``not_a_verdict`` (a well-formed completion saying "maybe"), ``drop`` (closes the connection unanswered),
``flaky`` (the first request of each prompt fails with 500, later ones succeed), ``rate_limited`` (HTTP 429 with
``Retry-After: retry_after_s`` until that many seconds after the first request, then correct verdicts), ``nested``
(a 200 body of JSON nested 100,000 deep), ``huge`` (a correct completion padded to ``huge_bytes``); ``latency_s``
delays every reply (set it above the client's timeout for a "timeout" fault, or far above it for a hanging judge).
Binds 127.0.0.1 only (:mod:`r1_reward.loopback_http`).
"""

import argparse
import asyncio
import json
import re
import time
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from r1_reward.loopback_http import HOST, start_app

FAULTS = ("ok", "http500", "http401", "garbage", "not_a_verdict", "drop", "flaky", "rate_limited", "nested", "huge")
NESTING = 100_000
_FINAL = re.compile(r"Final answer: ([12])")


@dataclass
class Behaviour:
    """What the server does with each request."""

    fault: str = "ok"
    latency_s: float = 0.0
    retry_after_s: float = 1.0
    huge_bytes: int = 32 << 20


def correct_verdict(prompt: str) -> str:
    """The right verdict for our judge prompt, by plain reading of "Response N is better"."""
    match = _FINAL.search(prompt)
    start = prompt.find("Reasoning:")
    if match is None or start < 0:
        return "no"
    reasoning = prompt[start : match.start()].lower()
    return "yes" if f"response {match.group(1)} is better" in reasoning else "no"


def completion(content: str) -> dict[str, Any]:
    """A minimal OpenAI chat completion body."""
    message = {"role": "assistant", "content": content}
    return {"object": "chat.completion", "choices": [{"index": 0, "message": message}]}


class LoopbackJudgeServer:
    """Start with ``await server.start()`` (returns the base URL), stop with ``await server.stop()``."""

    def __init__(self, behaviour: Behaviour | None = None) -> None:
        self.behaviour = behaviour or Behaviour()
        self.requests = self.inflight = self.max_inflight = 0
        self.authorizations: set[str] = set()
        self._seen: set[str] = set()
        self._runner: web.AppRunner | None = None
        self._limited_until: float | None = None
        self._huge: dict[str, bytes] = {}

    async def start(self, port: int = 0) -> str:
        app = web.Application()
        app.router.add_post("/v1/chat/completions", self._handle)
        if self.behaviour.fault == "huge":  # build the big bodies now, so a client's timing holds only its own cost
            for verdict in ("yes", "no"):
                self._huge_body(verdict)
        self._runner, bound_port = await start_app(app, port)
        return f"http://{HOST}:{bound_port}/v1"

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        self.requests += 1
        self.authorizations.add(request.headers.get("Authorization", ""))
        self.inflight += 1
        self.max_inflight = max(self.max_inflight, self.inflight)
        try:
            body = await request.json()  # before the service time: a client that gives up meanwhile has sent it all
            await asyncio.sleep(self.behaviour.latency_s)
            return self._reply(request, body["messages"][-1]["content"])
        finally:
            self.inflight -= 1

    def _reply(self, request: web.Request, prompt: str) -> web.StreamResponse:
        fault = self.behaviour.fault
        first_time = prompt not in self._seen
        self._seen.add(prompt)
        if fault == "http500" or (fault == "flaky" and first_time):
            return web.json_response({"error": "injected"}, status=500)
        if fault == "http401":
            return web.json_response({"error": "bad key"}, status=401)
        if fault == "garbage":
            return web.Response(text="<html>502 upstream hiccup", content_type="text/html")
        if fault == "not_a_verdict":
            return web.json_response(completion("maybe"))
        if fault == "drop":
            request.transport.close()
            return web.Response()
        if fault == "rate_limited" and self._rate_limited():
            return web.json_response(
                {"error": "slow down"}, status=429, headers={"Retry-After": f"{self.behaviour.retry_after_s:g}"}
            )
        if fault == "nested":
            return web.Response(text="[" * NESTING + "]" * NESTING, content_type="application/json")
        if fault == "huge":
            return self._huge_body(correct_verdict(prompt))
        return web.json_response(completion(correct_verdict(prompt)))

    def _huge_body(self, verdict: str) -> web.StreamResponse:
        """A correct completion padded to ``huge_bytes``, streamed in chunks without a length (a client must cap
        what it reads; the server stops writing once the client hangs up)."""
        if verdict not in self._huge:  # {...completion..., "padding": "xxx…"} without serialising the padding
            head = json.dumps(completion(verdict))[:-1].encode()
            self._huge[verdict] = head + b', "padding": "' + b"x" * self.behaviour.huge_bytes + b'"}'
        return _Streamed(self._huge[verdict])

    def _rate_limited(self) -> bool:
        """True until ``retry_after_s`` after the first request (a server that means its Retry-After)."""
        now = time.monotonic()
        if self._limited_until is None:
            self._limited_until = now + self.behaviour.retry_after_s
        return now < self._limited_until


class _Streamed(web.StreamResponse):
    """Writes ``body`` in 64 KiB chunks with chunked transfer encoding."""

    def __init__(self, body: bytes) -> None:
        super().__init__(headers={"Content-Type": "application/json"})
        self._body_bytes = body

    async def prepare(self, request: web.BaseRequest):
        writer = await super().prepare(request)
        try:
            for start in range(0, len(self._body_bytes), 1 << 16):
                await self.write(self._body_bytes[start : start + (1 << 16)])
            await self.write_eof()
        except (ConnectionError, RuntimeError):  # the client stopped reading and closed the connection
            pass
        return writer


async def _serve_forever(port: int, behaviour: Behaviour) -> None:
    server = LoopbackJudgeServer(behaviour)
    print(f"loopback judge at {await server.start(port)} ({behaviour})", flush=True)
    await asyncio.Event().wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--fault", choices=FAULTS, default="ok")
    parser.add_argument("--latency-s", type=float, default=0.0)
    args = parser.parse_args()
    asyncio.run(_serve_forever(args.port, Behaviour(args.fault, args.latency_s)))


if __name__ == "__main__":
    main()
