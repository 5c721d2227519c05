"""A loopback OpenAI-compatible annotator for ``python -m r1_reward.data annotate`` (tests, the pipeline e2e).

It answers each Table 1 question right from its K-th call on: questions carry ``need=K``, and the right answer is the
response containing "good answer". ``flaky`` questions get one HTTP 503 first. Every request is checked for
temperature 0, one image part and the bearer key; the ones that are not go to ``bad_requests``.
"""

import asyncio
import re
from collections import Counter

from aiohttp import web

from r1_reward.loopback_http import ServedInThread

KEY = "sk-test-secret-4242"
RESPONSES = re.compile(r"\[Response 1\]: (.*?); \[Response 2\]: (.*?)\n", re.DOTALL)


class LoopbackAnnotator:
    """``/v1/chat/completions`` on 127.0.0.1 in a background thread; ``start()`` then ``url``, ``stop()``."""

    def __init__(self, delay_s: float = 0.0, key: str = KEY) -> None:
        self.delay_s, self.key = delay_s, key
        self.calls: Counter = Counter()
        self.flaked: set = set()
        self.bad_requests: list = []
        app = web.Application()
        app.router.add_post("/v1/chat/completions", self.handle)
        self._served = ServedInThread(app)
        self.url = ""

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.json()
        parts = body["messages"][0]["content"]
        text = "".join(part["text"] for part in parts if part["type"] == "text")
        images = [part for part in parts if part["type"] == "image_url"]
        if body["temperature"] != 0 or len(images) != 1 or request.headers.get("Authorization") != f"Bearer {self.key}":
            self.bad_requests.append(body)
        question = text.split("[Question]: ")[1].split(";")[0]
        if "flaky" in question and question not in self.flaked:
            self.flaked.add(question)
            return web.Response(status=503)
        await asyncio.sleep(self.delay_s)
        self.calls[question] += 1
        first, _ = RESPONSES.search(text).groups()
        right = 1 if "good answer" in first else 2
        need = int(re.search(r"need=(\d)", question).group(1))
        choice = right if self.calls[question] >= need else 3 - right
        reply = f"<think>call {self.calls[question]} on {question}</think><answer>{choice}</answer>"
        return web.json_response({"choices": [{"message": {"role": "assistant", "content": reply}}]})

    def start(self) -> "LoopbackAnnotator":
        self.url = self._served.__enter__()
        return self

    def stop(self) -> None:
        self._served.__exit__()
