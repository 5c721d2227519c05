"""The one HTTP client to OpenAI-compatible ``/chat/completions`` servers, used by the cold-start annotator, the
consistency judge and the evaluation endpoint, which keep their own payloads and reply parsing.

One aiohttp session per event loop, reused; optional bounded concurrency; a total timeout per attempt; retries with
exponential backoff (``asyncio.sleep``) on timeouts, connection errors, malformed or oversized bodies and HTTP 408,
409, 429, 5xx, waiting at least the server's ``Retry-After`` while the request budget ((retries + 1) × timeout_s)
allows; any other 4xx fails at once. At most ``max_reply_bytes`` of a reply are read. The API key goes only into the
``Authorization`` header, never into a repr or error. (Why aiohttp and not the ``openai`` package: README, "HTTP".)
"""

import asyncio
import base64
import contextlib
import email.utils
import io
import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import aiohttp
from PIL import Image

T = TypeVar("T")


@dataclass(frozen=True)
class ChatSettings:
    """Where the server is and how hard to try (``retries`` is the number of attempts after the first); replies
    longer than ``max_reply_bytes`` are not read (a failed attempt)."""

    base_url: str
    model: str
    api_key: str | None = field(default=None, repr=False)
    timeout_s: float = 60.0
    retries: int = 3
    backoff_s: float = 1.0
    max_reply_bytes: int = 1 << 20

    @property
    def budget_s(self) -> float:
        """How long one request may wait on the server across its attempts: (retries + 1) × timeout_s."""
        return (self.retries + 1) * self.timeout_s


class ChatError(RuntimeError):
    """A chat request that did not produce a reply."""


class RetryableError(ChatError):
    """One attempt failed in a way another attempt may fix; reply parsers raise it to ask for a retry.
    ``retry_after_s`` is the server's ``Retry-After``, if it sent one."""

    def __init__(self, message: str, retry_after_s: float | None = None) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


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


def retry_after_seconds(value: str | None) -> float | None:
    """A ``Retry-After`` header (seconds or an HTTP date) as seconds from now; None if absent or unreadable."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, email.utils.parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError, IndexError):
        return None


async def with_retries(
    attempt: Callable[[], Awaitable[T]], url: str, retries: int, backoff_s: float, budget_s: float | None = None
) -> T:
    """``attempt()`` until it succeeds, at most ``retries + 1`` times, sleeping ``backoff_s * 2**n`` (without blocking
    the loop) after the n-th :class:`RetryableError`, or the server's Retry-After if longer; then :class:`ChatGaveUp`,
    also at once when that wait would end beyond ``budget_s`` from the start. Other errors pass straight through."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + budget_s if budget_s is not None else None
    last_error: RetryableError | None = None
    for tried in range(retries + 1):
        if last_error is not None:
            wait = max(backoff_s * 2 ** (tried - 1), last_error.retry_after_s or 0.0)
            if last_error.retry_after_s is not None and deadline is not None and loop.time() + wait > deadline:
                raise ChatGaveUp(url, tried, RetryableError(
                    f"{last_error} with Retry-After {last_error.retry_after_s:g} s, beyond the request budget of "
                    f"{budget_s:g} s ((retries + 1) x timeout_s)"
                ))  # fmt: skip
            await asyncio.sleep(wait)
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
        self.requests = 0  # HTTP requests sent, retries included, whatever came back

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
                reply = await self._post_once(session, body)
            try:
                return parse(reply)
            except ChatError:
                raise
            except Exception as error:  # any malformed reply is a failed attempt, never a crash of the caller
                raise RetryableError(f"reply could not be read ({type(error).__name__})") from error

        settings = self.settings
        return await with_retries(attempt, self.url, settings.retries, settings.backoff_s, settings.budget_s)

    async def _post_once(self, session: aiohttp.ClientSession, body: dict[str, Any]) -> Any:
        """One attempt: the reply's JSON, or :class:`RetryableError` / :class:`ChatRefused`."""
        self.requests += 1
        try:
            async with session.post(self.url, json=body) as response:
                if is_retryable_status(response.status):
                    retry_after = retry_after_seconds(response.headers.get("Retry-After"))
                    raise RetryableError(f"HTTP {response.status}", retry_after_s=retry_after)
                if response.status >= 400:
                    detail, key = (await self._read(response))[:300].decode(errors="replace"), self.settings.api_key
                    raise ChatRefused(self.url, response.status, detail.replace(key, "***") if key else detail)
                return json.loads(await self._read(response))
        except asyncio.TimeoutError as error:
            raise RetryableError(f"no reply within timeout_s={self.settings.timeout_s}") from error
        except aiohttp.ClientError as error:
            raise RetryableError(f"connection failed: {type(error).__name__}: {error}") from error
        except (ValueError, RecursionError) as error:  # RecursionError: JSON nested deeper than the parser goes
            raise RetryableError("reply body is not JSON") from error

    async def _read(self, response: aiohttp.ClientResponse) -> bytes:
        """The body, or :class:`RetryableError` as soon as it passes ``max_reply_bytes`` (memory stays bounded)."""
        cap = self.settings.max_reply_bytes
        body = bytearray()
        if (response.content_length or 0) <= cap:
            async for chunk in response.content.iter_chunked(1 << 16):
                body += chunk
                if len(body) > cap:
                    break
        if len(body) > cap or (response.content_length or 0) > cap:
            raise RetryableError(f"reply is longer than max_reply_bytes={cap}")
        return bytes(body)

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
