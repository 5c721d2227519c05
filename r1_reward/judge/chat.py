"""OpenAI-style chat judge: the ``endpoint`` backend (a server the user runs) and the ``pool`` backend (verl's
reward-model worker group, reached through the ``reward_router_address`` verl hands to reward managers).

All checks of a process share one client and at most ``concurrency`` requests in flight (the shared transport in
:mod:`r1_reward.openai_chat`: timeouts, retries with backoff, a 4xx fails at once); identical checks in flight
share one request; a reply that is not a yes/no verdict is retried like a timeout. After the last attempt a
:class:`JudgeError` says what broke and how to fix it. The API key goes only into the request header.
"""

import asyncio
from dataclasses import dataclass
from typing import Any

from r1_reward.judge.base import JudgeError, JudgeRequest
from r1_reward.judge.prompt import judge_prompt, parse_verdict
from r1_reward.openai_chat import ChatGaveUp, ChatRefused, ChatSettings, OpenAIChat, RetryableError


@dataclass(frozen=True)
class ChatJudgeSettings(ChatSettings):
    """The shared transport settings with the judge's defaults (short replies: 30 s, backoff 0.5 s), plus how many
    checks may be in flight and how much of the reasoning the judge sees. ``api_key`` is never printed."""

    timeout_s: float = 30.0
    backoff_s: float = 0.5
    concurrency: int = 64
    max_reasoning_chars: int = 4000
    max_tokens: int = 2


class ChatJudge:
    """Asks an OpenAI-compatible ``/chat/completions`` endpoint for a yes/no consistency verdict."""

    def __init__(self, settings: ChatJudgeSettings, name: str) -> None:
        self.settings, self.name = settings, name
        self._chat = OpenAIChat(settings, concurrency=settings.concurrency)
        self.url = self._chat.url
        self._loop: asyncio.AbstractEventLoop | None = None
        self._inflight: dict[str, asyncio.Future[bool]] = {}

    async def judge(self, request: JudgeRequest) -> bool:
        """The verdict for one check; concurrent identical checks share one HTTP request."""
        loop = asyncio.get_running_loop()
        if self._loop is not loop:
            self._loop, self._inflight = loop, {}
        prompt = judge_prompt(request, self.settings.max_reasoning_chars)
        future = self._inflight.get(prompt)
        if future is None:
            future = asyncio.ensure_future(self._ask(prompt))
            self._inflight[prompt] = future
            future.add_done_callback(lambda _: self._inflight.pop(prompt, None))
        return await asyncio.shield(future)

    async def _ask(self, prompt: str) -> bool:
        settings = self.settings
        try:
            return await self._chat.post_chat(self._payload(prompt), _verdict)
        except ChatRefused as error:
            raise JudgeError(
                f"consistency judge '{self.name}' at {self.url} answered HTTP {error.status}: a request the server "
                f"refuses will not work on retry. Fix: check r1_reward.judge.model={settings.model!r} is "
                f"what the server serves and the API key env var (r1_reward.judge.api_key_env) is right"
            ) from error
        except ChatGaveUp as error:
            raise JudgeError(
                f"consistency judge '{self.name}' at {self.url} (model {settings.model!r}) gave no verdict after "
                f"{error.attempts} attempts; last error: {error.last_error}. Fix: check the judge server is up and "
                f"answers /chat/completions (launch/serve_judge.sh), raise r1_reward.judge.timeout_s / max_retries, "
                "or set r1_reward.reward.on_judge_failure=zero to score consistency 0 and go on"
            ) from error

    def _payload(self, prompt: str) -> dict[str, Any]:
        return {
            "model": self.settings.model,
            "messages": [{"role": "user", "content": prompt}],
            "max_tokens": self.settings.max_tokens,
            "temperature": 0.0,
        }

    async def close(self) -> None:
        """Close the shared client (call from the loop that used it)."""
        await self._chat.close()
        self._loop = None


def _verdict(body: Any) -> bool:
    """The yes/no in a chat completion; anything else is worth another attempt."""
    try:
        reply = body["choices"][0]["message"]["content"]
    except (KeyError, IndexError, TypeError) as error:
        raise RetryableError("reply is not an OpenAI chat completion") from error
    verdict = parse_verdict(reply) if isinstance(reply, str) else None
    if verdict is None:
        raise RetryableError(f"reply {str(reply)[:40]!r} is not 'yes' or 'no'")
    return verdict
