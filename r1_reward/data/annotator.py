"""An OpenAI-compatible chat client for the cold-start annotator (GPT-4o, or a local vLLM server).

One ``aiohttp`` session per run, per-request timeouts, and retries with exponential backoff on connection
errors, 429 and 5xx. The API key is sent in the ``Authorization`` header only and never printed.
"""

import asyncio
import base64
import io
from dataclasses import dataclass, field

import aiohttp
from PIL import Image

from r1_reward.data.schema import IMAGE_PLACEHOLDER

RETRY_STATUS = {408, 409, 429, 500, 502, 503, 504}


class AnnotatorError(RuntimeError):
    """The endpoint refused a request in a way retrying will not fix."""


@dataclass(frozen=True)
class Endpoint:
    """Where the annotator runs and how to call it (temperature 0 per §3.2)."""

    base_url: str
    model: str
    api_key: str | None = field(default=None, repr=False)
    temperature: float = 0.0
    max_tokens: int = 4096
    timeout_s: float = 300.0
    retries: int = 4
    backoff_s: float = 1.0


def data_url(image: bytes) -> str:
    """A base64 ``data:`` URL with the image's real MIME type."""
    with Image.open(io.BytesIO(image)) as opened:
        mime = Image.MIME.get(opened.format or "", "image/png")
    return f"data:{mime};base64,{base64.b64encode(image).decode('ascii')}"


def chat_content(text: str, images: list[bytes]) -> list[dict]:
    """OpenAI content parts: the text split at each ``<image>`` with the images in their places."""
    pieces = text.split(IMAGE_PLACEHOLDER)
    if len(pieces) - 1 != len(images):
        raise ValueError(f"prompt has {len(pieces) - 1} {IMAGE_PLACEHOLDER} placeholders for {len(images)} images")
    parts: list[dict] = []
    for index, piece in enumerate(pieces):
        if index:
            parts.append({"type": "image_url", "image_url": {"url": data_url(images[index - 1])}})
        if piece:
            parts.append({"type": "text", "text": piece})
    return parts


class ChatClient:
    """Sends one-turn chats to ``{base_url}/chat/completions`` through one reused session."""

    def __init__(self, endpoint: Endpoint) -> None:
        self.endpoint = endpoint
        self.url = endpoint.base_url.rstrip("/") + "/chat/completions"
        headers = {"Authorization": f"Bearer {endpoint.api_key}"} if endpoint.api_key else {}
        self._session = aiohttp.ClientSession(headers=headers, timeout=aiohttp.ClientTimeout(total=endpoint.timeout_s))

    async def close(self) -> None:
        await self._session.close()

    async def complete(self, content: list[dict]) -> str:
        """The reply text for one user turn, retrying transient failures with backoff."""
        body = {
            "model": self.endpoint.model,
            "messages": [{"role": "user", "content": content}],
            "temperature": self.endpoint.temperature,
            "max_tokens": self.endpoint.max_tokens,
        }
        for retry in range(self.endpoint.retries + 1):
            try:
                return await self._post(body)
            except (aiohttp.ClientError, asyncio.TimeoutError, _Transient) as error:
                if retry == self.endpoint.retries:
                    raise AnnotatorError(f"{self.url} still failing after {retry + 1} tries: {error}") from error
                await asyncio.sleep(self.endpoint.backoff_s * 2**retry)
        raise AssertionError("unreachable")

    async def _post(self, body: dict) -> str:
        async with self._session.post(self.url, json=body) as response:
            if response.status in RETRY_STATUS:
                raise _Transient(f"HTTP {response.status}")
            if response.status != 200:
                detail = (await response.text())[:300]
                raise AnnotatorError(f"{self.url} answered HTTP {response.status}: {detail} (check --model, key)")
            payload = await response.json()
        try:
            return payload["choices"][0]["message"]["content"] or ""
        except (KeyError, IndexError, TypeError) as error:
            raise AnnotatorError(f"{self.url} returned no choices[0].message.content: {str(payload)[:300]}") from error


class _Transient(Exception):
    """A response worth retrying (rate limit, overload)."""
