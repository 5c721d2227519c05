"""The shared chat transport against a scripted OpenAI-style server on 127.0.0.1 that this test starts."""

import asyncio
import base64
import email.utils
import io
import time

import pytest
from aiohttp import web
from PIL import Image

from r1_reward.loopback_http import HOST, start_app
from r1_reward.openai_chat import (
    ChatGaveUp,
    ChatRefused,
    ChatSettings,
    OpenAIChat,
    RetryableError,
    data_url,
    retry_after_seconds,
)

KEY = "sk-test-shared-client-9876"
REPLY = {"choices": [{"message": {"role": "assistant", "content": "yes"}}]}


class ScriptedServer:
    """Answers the n-th request with ``script[n]`` (the last entry repeats): an HTTP status, "slow" or "text"."""

    def __init__(self, *script: int | str) -> None:
        self.script, self.requests, self.inflight, self.max_inflight = script, 0, 0, 0
        self.peers: set = set()
        self._runner: web.AppRunner | None = None

    async def __aenter__(self) -> str:
        app = web.Application()
        app.router.add_post("/v1/chat/completions", self._handle)
        self._runner, port = await start_app(app)
        return f"http://{HOST}:{port}/v1/"

    async def __aexit__(self, *_) -> None:
        await self._runner.cleanup()

    async def _handle(self, request: web.Request) -> web.Response:
        step = self.script[min(self.requests, len(self.script) - 1)]
        self.requests += 1
        self.peers.add(request.transport.get_extra_info("peername"))
        self.inflight += 1
        self.max_inflight = max(self.max_inflight, self.inflight)
        try:
            await asyncio.sleep(1.0 if step == "slow" else 0.02)
            if step == "text":
                return web.Response(text="<html>upstream hiccup</html>")
            status = 200 if step == "slow" else step
            # a careless server that echoes the credentials it was sent in its error bodies
            return web.json_response(REPLY if status == 200 else {"error": request.headers["Authorization"]},
                                     status=status)  # fmt: skip
        finally:
            self.inflight -= 1


def chat(base_url: str, concurrency: int | None = None, retries: int = 2) -> OpenAIChat:
    return OpenAIChat(ChatSettings(base_url, "m", KEY, timeout_s=0.3, retries=retries, backoff_s=0.01), concurrency)


async def post(server: ScriptedServer, concurrency: int | None = None, retries: int = 2, parse=lambda r: r):
    async with server as url:
        client = chat(url, concurrency, retries)
        try:
            return await client.post_chat({"model": "m", "messages": []}, parse)
        finally:
            await client.close()


def test_retries_503_then_returns_the_reply() -> None:
    server = ScriptedServer(503, 200)
    assert asyncio.run(post(server)) == REPLY
    assert server.requests == 2


def test_401_is_not_retried_and_the_error_hides_the_key() -> None:
    server = ScriptedServer(401)
    with pytest.raises(ChatRefused) as raised:
        asyncio.run(post(server))
    assert server.requests == 1 and raised.value.status == 401
    assert "HTTP 401" in str(raised.value) and "***" in str(raised.value) and KEY not in str(raised.value)


def test_timeout_is_retried_then_gives_up_with_a_clear_error() -> None:
    server = ScriptedServer("slow")
    with pytest.raises(ChatGaveUp) as raised:
        asyncio.run(post(server, retries=1))
    assert server.requests == 2 and raised.value.attempts == 2
    assert "failed after 2 tries" in str(raised.value) and "timeout_s=0.3" in str(raised.value)
    assert KEY not in str(raised.value) and KEY not in repr(raised.value)


def test_non_json_body_and_parser_rejections_are_retried() -> None:
    server = ScriptedServer("text", 200)
    assert asyncio.run(post(server)) == REPLY and server.requests == 2

    seen = []

    def picky(reply: dict) -> str:
        seen.append(reply)
        if len(seen) < 3:
            raise RetryableError("not yet")
        return reply["choices"][0]["message"]["content"]

    server = ScriptedServer(200)
    assert asyncio.run(post(server, parse=picky)) == "yes" and server.requests == 3


def test_one_connection_reused_and_concurrency_bounded() -> None:
    async def many(server: ScriptedServer, concurrency: int) -> list:
        async with server as url:
            client = chat(url, concurrency)
            try:
                first = [await client.post_chat({}) for _ in range(3)]  # sequential: one kept-alive connection
                return first + list(await asyncio.gather(*(client.post_chat({}) for _ in range(9))))
            finally:
                await client.close()

    server = ScriptedServer(200)
    replies = asyncio.run(many(server, concurrency=3))
    assert replies == [REPLY] * 12 and server.requests == 12
    assert server.max_inflight == 3 and len(server.peers) == 3


def test_key_not_in_settings_repr_or_str() -> None:
    settings = ChatSettings("http://127.0.0.1:1/v1", "m", KEY)
    assert KEY not in repr(settings) and KEY not in str(settings)


def test_data_url_keeps_encoded_mime_and_sends_pil_images_as_png() -> None:
    jpeg = io.BytesIO()
    Image.new("RGB", (4, 4), "red").save(jpeg, format="JPEG")
    assert data_url(jpeg.getvalue()) == "data:image/jpeg;base64," + base64.b64encode(jpeg.getvalue()).decode()
    url = data_url(Image.new("RGB", (3, 2), "blue"))
    assert url.startswith("data:image/png;base64,")
    decoded = Image.open(io.BytesIO(base64.b64decode(url.split(",", 1)[1])))
    assert (decoded.format, decoded.size, decoded.getpixel((0, 0))) == ("PNG", (3, 2), (0, 0, 255))


def test_retry_after_header_in_seconds_or_as_an_http_date() -> None:
    in_ten_s = email.utils.formatdate(time.time() + 10, usegmt=True)
    assert retry_after_seconds("5") == 5.0 and retry_after_seconds("-3") == 0.0
    assert retry_after_seconds(None) is None and retry_after_seconds("soon") is None
    assert 8.0 <= retry_after_seconds(in_ten_s) <= 10.0  # the date has whole-second resolution
