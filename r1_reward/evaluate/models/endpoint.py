"""The trained reward model as a judge behind any OpenAI-compatible ``/v1/chat/completions`` endpoint.

It keeps its own ``httpx.AsyncClient`` (its tests inject an ``httpx`` mock transport), one per judge on one event
loop, reused for every batch, with at most ``concurrency`` requests in flight; which failures are retried, the
exponential backoff and the image parts come from the shared :mod:`r1_reward.openai_chat`. Each request asks for
``n = k`` choices; a server that returns fewer gets follow-up requests for the rest. The answer token's
probability comes from ``logprobs`` when the server returns them.
"""

import asyncio
import math
import os
from functools import partial
from pathlib import Path
from typing import Any

import httpx

from r1_reward.evaluate.items import Presentation
from r1_reward.evaluate.models import media
from r1_reward.evaluate.models.base import Sample, answer_char_offset, token_index_at
from r1_reward.evaluate.models.shared import presentation_prompt, read_answer
from r1_reward.openai_chat import RetryableError, image_part, is_retryable_status, with_retries


class EndpointModel:
    """Judges presentations through a chat-completions endpoint (``base_url`` ends before ``/chat/completions``)."""

    name = "endpoint"
    needs_media = True

    def __init__(
        self,
        base_url: str,
        model: str,
        media_root: str | Path | None = None,
        api_key_env: str = "OPENAI_API_KEY",
        temperature: float | None = None,
        max_tokens: int = 1024,
        concurrency: int = 8,
        retries: int = 4,
        timeout_s: float = 600.0,
        backoff_s: float = 1.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ):
        if not base_url:
            raise ValueError(
                "--base-url is unset: point it at an OpenAI-compatible server, e.g. http://127.0.0.1:8000/v1"
            )
        self.model, self.media_root, self.temperature, self.max_tokens = model, media_root, temperature, max_tokens
        self.retries, self.backoff_s, self.concurrency = retries, backoff_s, concurrency
        key = os.environ.get(api_key_env, "")
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        self._loop, self.url = asyncio.new_event_loop(), f"judge endpoint {base_url.rstrip('/')}/chat/completions"
        self._client = httpx.AsyncClient(
            base_url=base_url.rstrip("/"), headers=headers, timeout=timeout_s, transport=transport
        )

    def _messages(self, p: Presentation) -> list[dict[str, Any]]:
        images = media.load_frames(p.item, self.media_root)
        content = [image_part(img) for img in images]
        return [{"role": "user", "content": [*content, {"type": "text", "text": presentation_prompt(p)}]}]

    async def _post_once(self, body: dict[str, Any]) -> dict[str, Any]:
        try:
            response = await self._client.post("/chat/completions", json=body)
        except (httpx.TransportError, httpx.TimeoutException) as error:
            raise RetryableError(f"{type(error).__name__}: {error}") from error
        if is_retryable_status(response.status_code):
            raise RetryableError(f"status {response.status_code}")
        response.raise_for_status()
        return response.json()

    async def _one(self, p: Presentation, k: int, gate: asyncio.Semaphore) -> list[Sample]:
        temperature = self.temperature if self.temperature is not None else (1.0 if k > 1 else 0.0)
        messages, samples = self._messages(p), []
        while len(samples) < k:
            body = {
                "model": self.model,
                "messages": messages,
                "n": k - len(samples),
                "temperature": temperature,
                "max_tokens": self.max_tokens,
                "logprobs": True,
            }
            async with gate:
                reply = await with_retries(partial(self._post_once, body), self.url, self.retries, self.backoff_s)
            samples += [choice_sample(c) for c in reply.get("choices", [])][: k - len(samples)]
            if not reply.get("choices"):
                raise RuntimeError(f"judge endpoint returned no choices for {p.item.key}: {str(reply)[:200]}")
        return samples

    async def _all(self, batch: list[Presentation], k: int) -> list[list[Sample]]:
        gate = asyncio.Semaphore(self.concurrency)
        return list(await asyncio.gather(*(self._one(p, k, gate) for p in batch)))

    def judge(self, batch: list[Presentation], k: int) -> list[list[Sample]]:
        return self._loop.run_until_complete(self._all(batch, k))

    def close(self) -> None:
        """Close the HTTP client and its event loop."""
        self._loop.run_until_complete(self._client.aclose())
        self._loop.close()


def choice_sample(choice: dict[str, Any]) -> Sample:
    """A sample from one chat-completion choice; the answer token's probability from its ``logprobs`` if present."""
    text = (choice.get("message") or {}).get("content") or ""
    answer = read_answer(text)
    tokens = ((choice.get("logprobs") or {}).get("content")) or []
    offset = answer_char_offset(text, answer)
    if offset is None or not tokens:
        return Sample(answer, None, text)
    pieces = [t.get("token", "") for t in tokens]
    index = token_index_at(offset, len(pieces), lambda n: "".join(pieces[:n]))
    return Sample(answer, math.exp(tokens[index]["logprob"]), text)
