"""A loopback OpenAI-compatible *pairwise* judge with a known preference, for tests and the tournament benchmark.

It answers Table 1 prompts (:mod:`r1_reward.prompt`) with ``<think>…</think><answer>k</answer>``, preferring the
longer response (ties: Response 1), so every verdict and every Eq. 3 score can be worked out by hand. It records
each request's body (to check images travel with the prompt) and its peak concurrency. Faults: ``unparseable`` (a
reply without an answer), ``http500``, ``http401``; ``fail_marker`` makes only requests containing that text
answer HTTP 500. ``latency_s`` delays every reply. Binds 127.0.0.1 only.
``python -m r1_reward.testing.loopback_pairwise --port 8000 --latency-s 0.2`` serves it from a separate process.
"""

import argparse
import asyncio
import re
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from r1_reward.testing.loopback_judge import completion

_RESPONSES = re.compile(r"\[Response 1\]: (.*); \[Response 2\]: (.*)\n\n###Output Format", re.S)


@dataclass
class PairBehaviour:
    """What the server does with each request."""

    fault: str = "ok"
    latency_s: float = 0.0
    fail_marker: str | None = None


def preferred_slot(prompt: str) -> str | None:
    """ "1" if Response 1 is at least as long as Response 2, else "2"; None if the text is not a Table 1 prompt."""
    match = _RESPONSES.search(prompt)
    if match is None:
        return None
    return "1" if len(match.group(1)) >= len(match.group(2)) else "2"


def prompt_text(body: dict[str, Any]) -> str:
    """The text parts of the last message (content given as a string or as OpenAI parts)."""
    content = body["messages"][-1]["content"]
    if isinstance(content, str):
        return content
    return "".join(part.get("text", "") for part in content if part.get("type") == "text")


class LoopbackPairJudge:
    """Start with ``await server.start()`` (returns the base URL), stop with ``await server.stop()``."""

    def __init__(self, behaviour: PairBehaviour | None = None, keep_bodies: bool = True) -> None:
        self.behaviour, self.keep_bodies = behaviour or PairBehaviour(), keep_bodies
        self.requests = self.inflight = self.max_inflight = 0
        self.bodies: list[dict[str, Any]] = []
        self._runner: web.AppRunner | None = None

    async def start(self, port: int = 0) -> str:
        app = web.Application(client_max_size=64 * 1024**2)
        app.router.add_post("/v1/chat/completions", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", port)
        await site.start()
        return f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}/v1"

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _handle(self, request: web.Request) -> web.Response:
        self.requests += 1
        self.inflight += 1
        self.max_inflight = max(self.max_inflight, self.inflight)
        try:
            await asyncio.sleep(self.behaviour.latency_s)
            body = await request.json()
            if self.keep_bodies:
                self.bodies.append(body)
            return self._reply(prompt_text(body))
        finally:
            self.inflight -= 1

    def _reply(self, prompt: str) -> web.Response:
        fault, marker = self.behaviour.fault, self.behaviour.fail_marker
        if fault == "http500" or (marker is not None and marker in prompt):
            return web.json_response({"error": "injected"}, status=500)
        if fault == "http401":
            return web.json_response({"error": "bad key"}, status=401)
        slot = preferred_slot(prompt)
        if fault == "unparseable" or slot is None:
            return web.json_response(completion("<think>hmm</think> both are fine"))
        return web.json_response(completion(f"<think>Response {slot} is longer.</think><answer>{slot}</answer>"))


async def _serve_forever(port: int, behaviour: PairBehaviour) -> None:
    server = LoopbackPairJudge(behaviour, keep_bodies=False)
    print(f"loopback pairwise judge at {await server.start(port)} ({behaviour})", flush=True)
    await asyncio.Event().wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--latency-s", type=float, default=0.0)
    args = parser.parse_args()
    asyncio.run(_serve_forever(args.port, PairBehaviour(latency_s=args.latency_s)))


if __name__ == "__main__":
    main()
