"""The one HTTP transport to OpenAI-compatible ``/chat/completions`` servers, used by the cold-start annotator and the
consistency judge, which keep their own payloads and reply parsing. The evaluation endpoint judge keeps its httpx
client (its tests inject an httpx mock transport) and shares the retry loop, the retry rule and the image parts.

One aiohttp session per event loop, reused; optional bounded concurrency; a total timeout per attempt; retries with
exponential backoff (``asyncio.sleep``) on timeouts, connection errors, non-JSON bodies and HTTP 408, 409, 429, 5xx;
any other 4xx fails at once. The API key goes only into the ``Authorization`` header, never into a repr or error.
"""

import asyncio
import base64
import contextlib
import io
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import aiohttp
from PIL import Image

T = TypeVar("T")


@dataclass(frozen=True)
class ChatSettings:
    """Where the server is and how hard to try (``retries`` is the number of attempts after the first)."""

    base_url: str
    model: str
    api_key: str | None = field(default=None, repr=False)
    timeout_s: float = 60.0
    retries: int = 3
    backoff_s: float = 1.0


class ChatError(RuntimeError):
    """A chat request that did not produce a reply."""


class RetryableError(ChatError):
    """One attempt failed in a way another attempt may fix; reply parsers raise it to ask for a retry."""


class ChatRefused(ChatError):
    """The server refused the request (HTTP 4xx other than 408/409/429): retrying will not help."""

    def __init__(self, url: str, status: int, detail: str) -> None:
        super().__init__(f"{url} answered HTTP {status}: {detail} (no retry: check the model name and the API key)")
        self.status = status


class ChatGaveUp(ChatError):
    """Every attempt failed with a retryable error; ``last_error`` says how the last one failed."""

    def __init__(self, url: str, attempts: int, last_error: RetryableError) -> None:
        super().__init__(f"{url} failed after {attempts} tries: {last_error}; is the server up?")
        self.attempts, self.last_error = attempts, last_error


def is_retryable_status(status: int) -> bool:
    """Request timeout, conflict, rate limit and server errors are worth another attempt."""
    return status in (408, 409, 429) or status >= 500


async def with_retries(attempt: Callable[[], Awaitable[T]], url: str, retries: int, backoff_s: float) -> T:
    """``attempt()`` until it succeeds, at most ``retries + 1`` times, sleeping ``backoff_s * 2**n`` (without blocking
    the loop) after the n-th :class:`RetryableError`; then :class:`ChatGaveUp`. Other errors pass straight through."""
    for tried in range(retries + 1):
        if tried:
            await asyncio.sleep(backoff_s * 2 ** (tried - 1))
        try:
            return await attempt()
        except RetryableError as error:
            last_error = error
    raise ChatGaveUp(url, retries + 1, last_error)


class OpenAIChat:
    """Posts chat-completion bodies to ``{base_url}/chat/completions`` with retries (one session per event loop)."""

    def __init__(self, settings: ChatSettings, concurrency: int | None = None) -> None:
        self.settings, self.concurrency = settings, concurrency
        self.url = settings.base_url.rstrip("/") + "/chat/completions"
        self._loop: asyncio.AbstractEventLoop | None = None
        self._session: aiohttp.ClientSession | None = None
        self._gate: asyncio.Semaphore | None = None

    def _bind_to_running_loop(self) -> aiohttp.ClientSession:
        """The session (and semaphore) of the running loop, created on first use in that loop."""
        loop = asyncio.get_running_loop()
        if self._loop is not loop or self._session is None:
            key, limit = self.settings.api_key, self.concurrency or 100
            self._session = aiohttp.ClientSession(
                headers={"Authorization": f"Bearer {key}"} if key else {},
                timeout=aiohttp.ClientTimeout(total=self.settings.timeout_s),
                connector=aiohttp.TCPConnector(limit=limit, limit_per_host=limit),
            )
            self._gate = asyncio.Semaphore(self.concurrency) if self.concurrency else None
            self._loop = loop
        return self._session

    async def post_chat(self, body: dict[str, Any], parse: Callable[[Any], T] = lambda reply: reply) -> T:
        """``parse`` of the first usable reply; :class:`ChatGaveUp` once the retries are spent, :class:`ChatRefused`
        at once on a refused request. ``parse`` may raise :class:`RetryableError` to retry a garbled reply."""
        session = self._bind_to_running_loop()

        async def attempt() -> T:
            async with self._gate or contextlib.nullcontext():
                return parse(await self._post_once(session, body))

        return await with_retries(attempt, self.url, self.settings.retries, self.settings.backoff_s)

    async def _post_once(self, session: aiohttp.ClientSession, body: dict[str, Any]) -> Any:
        """One attempt: the reply's JSON, or :class:`RetryableError` / :class:`ChatRefused`."""
        try:
            async with session.post(self.url, json=body) as response:
                if is_retryable_status(response.status):
                    raise RetryableError(f"HTTP {response.status}")
                if response.status >= 400:
                    detail, key = (await response.text())[:300], self.settings.api_key
                    raise ChatRefused(self.url, response.status, detail.replace(key, "***") if key else detail)
                return await response.json(content_type=None)
        except asyncio.TimeoutError as error:
            raise RetryableError(f"no reply within timeout_s={self.settings.timeout_s}") from error
        except aiohttp.ClientError as error:
            raise RetryableError(f"connection failed: {type(error).__name__}: {error}") from error
        except ValueError as error:
            raise RetryableError("reply body is not JSON") from error

    async def close(self) -> None:
        """Close the session (call from the loop that used it)."""
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._loop = self._session = self._gate = None


def data_url(image: bytes | Image.Image) -> str:
    """A base64 ``data:`` URL: encoded bytes keep their real MIME type, a PIL image is sent as PNG."""
    if isinstance(image, Image.Image):
        buffer = io.BytesIO()
        image.save(buffer, format="PNG")
        image, mime = buffer.getvalue(), "image/png"
    else:
        with Image.open(io.BytesIO(image)) as opened:
            mime = Image.MIME.get(opened.format or "", "image/png")
    return f"data:{mime};base64,{base64.b64encode(image).decode('ascii')}"


def image_part(image: bytes | Image.Image) -> dict[str, Any]:
    """An OpenAI ``image_url`` content part carrying the image inline."""
    return {"type": "image_url", "image_url": {"url": data_url(image)}}
