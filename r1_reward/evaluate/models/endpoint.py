"""The trained reward model behind any OpenAI-compatible ``/v1/chat/completions`` endpoint, as the model under test.

Requests go through the project's one HTTP client (:mod:`r1_reward.openai_chat`: one session on this model's own
event loop, reused for every batch, at most ``concurrency`` requests in flight, retries with backoff on timeouts,
5xx/429 and malformed replies, Retry-After honoured). Each request asks for ``n = k`` choices; a server that returns
fewer gets follow-up requests for the rest. The answer token's probability comes from ``logprobs`` when the server
returns them. A presentation whose media cannot be read, or on which the server still fails after the retries (or
refuses it, HTTP 4xx: a prompt too long for the server, say) comes back as a :class:`Skip`; a refusal that would hit
every request (401, 403, 404: key, permission, URL or model name) stops the run instead. Errors never quote the
server's reply (a server may echo the key).
"""

import asyncio
import os
from pathlib import Path
from typing import Any

from r1_reward.evaluate.items import Presentation
from r1_reward.evaluate.models import media
from r1_reward.evaluate.models.base import JUDGE_GAVE_UP, JUDGE_REFUSED, Sample, Skip
from r1_reward.evaluate.models.shared import presentation_prompt
from r1_reward.openai_chat import ChatGaveUp, ChatRefused, ChatSettings, OpenAIChat, RetryableError, image_part
from r1_reward.parse import chat_choice_answer

# Refusals that say the run's settings are wrong (API key, permission, base URL or model name), not this item.
REFUSALS_FOR_EVERY_ITEM = (401, 403, 404)


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
    ):
        if not base_url:
            raise ValueError(
                "--base-url is unset: point it at an OpenAI-compatible server, e.g. http://127.0.0.1:8000/v1"
            )
        self.model, self.media_root, self.temperature, self.max_tokens = model, media_root, temperature, max_tokens
        self.source = model  # the served model, not the URL: a restarted server (new port) resumes the run
        settings = ChatSettings(base_url, model, os.environ.get(api_key_env) or None, timeout_s, retries, backoff_s)
        self._chat = OpenAIChat(settings, concurrency=concurrency)
        self._loop = asyncio.new_event_loop()

    def _messages(self, p: Presentation) -> list[dict[str, Any]]:
        images = media.load_frames(p.item, self.media_root)
        content = [image_part(img) for img in images]
        return [{"role": "user", "content": [*content, {"type": "text", "text": presentation_prompt(p)}]}]

    async def _one(self, p: Presentation, k: int) -> list[Sample]:
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
            replied = await self._chat.post_chat(body, lambda reply: [choice_sample(c) for c in _choices(reply)])
            samples += replied[: k - len(samples)]
        return samples

    async def _one_or_skip(self, p: Presentation, k: int) -> list[Sample] | Skip:
        """``_one``, or the reason this presentation cannot be judged."""
        try:
            return await self._one(p, k)
        except media.MediaError as error:
            return Skip(error.reason)
        except ChatGaveUp as error:
            return Skip(f"{JUDGE_GAVE_UP}: {error}")
        except ChatRefused as error:
            if error.status in REFUSALS_FOR_EVERY_ITEM:
                raise
            return Skip(f"{JUDGE_REFUSED}: {error}")

    async def _all(self, batch: list[Presentation], k: int) -> list[list[Sample] | Skip]:
        return list(await asyncio.gather(*(self._one_or_skip(p, k) for p in batch)))

    def judge(self, batch: list[Presentation], k: int) -> list[list[Sample] | Skip]:
        return self._loop.run_until_complete(self._all(batch, k))

    def close(self) -> None:
        """Close the HTTP client and its event loop."""
        self._loop.run_until_complete(self._chat.close())
        self._loop.close()


def _choices(reply: Any) -> list[dict[str, Any]]:
    """The reply's choices; none (or not a completion) is a failed attempt, described without quoting the reply."""
    choices = reply.get("choices") if isinstance(reply, dict) else None
    if not choices or not isinstance(choices, list):
        raise RetryableError("the reply has no choices (not an OpenAI chat completion)")
    return choices


def choice_sample(choice: dict[str, Any]) -> Sample:
    """A sample from one chat-completion choice; the answer token's probability from its ``logprobs`` if present."""
    parsed = chat_choice_answer(choice)
    return Sample(parsed.answer, parsed.prob, parsed.text)
