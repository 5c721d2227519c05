"""OpenAI-style chat judge: the ``endpoint`` backend (a server the user runs) and the ``pool`` backend (verl's
reward-model worker group, reached through the ``reward_router_address`` verl hands to reward managers).

All checks of a process share one client and at most ``concurrency`` requests in flight (the shared transport in
:mod:`r1_reward.openai_chat`: timeouts, retries with backoff, Retry-After honoured, a 4xx fails at once, replies
capped at ``max_reply_bytes``); identical checks in flight share one request; a reply that is not a yes/no verdict is
retried like a timeout. A per-step budget (``step_budget_s``) bounds a batch: it starts when a check arrives while
none is in flight (verl's reward worker scores a step's samples together) and checks still open when it runs out
fail. After the last attempt a :class:`JudgeError` says what broke and how to fix it. The API key goes only into the
request header.
"""

import asyncio
from typing import Any

from r1_reward.judge.base import JudgeError, JudgeRequest
from r1_reward.judge.config import JudgeConfig
from r1_reward.judge.prompt import judge_prompt, parse_verdict
from r1_reward.openai_chat import ChatError, ChatGaveUp, ChatRefused, ChatSettings, OpenAIChat, RetryableError


class ChatJudge:
    """Asks an OpenAI-compatible ``/chat/completions`` endpoint (``config.base_url``) for a yes/no verdict."""

    def __init__(self, config: JudgeConfig, name: str, api_key: str | None = None) -> None:
        if not config.base_url or not config.model:
            raise ValueError(f"chat judge '{name}' has no base_url/model: {config}")
        self.config, self.name = config, name
        settings = ChatSettings(config.base_url, config.model, api_key, config.timeout_s, config.retries,
                                config.backoff_s, config.max_reply_bytes)  # fmt: skip
        self._chat = OpenAIChat(settings, concurrency=config.concurrency)
        self.url = self._chat.url
        self._loop: asyncio.AbstractEventLoop | None = None
        self._inflight: dict[str, asyncio.Future[bool]] = {}
        self._open_checks, self._step_deadline = 0, 0.0

    async def judge(self, request: JudgeRequest) -> bool:
        """The verdict for one check; concurrent identical checks share one HTTP request."""
        loop = asyncio.get_running_loop()
        if self._loop is not loop:
            self._loop, self._inflight, self._open_checks = loop, {}, 0
        if self._open_checks == 0 and self.config.step_budget_s is not None:
            self._step_deadline = loop.time() + self.config.step_budget_s
        self._open_checks += 1
        try:
            return await self._within_step_budget(self._shared(judge_prompt(request, self.config.max_reasoning_chars)))
        finally:
            self._open_checks -= 1

    def _shared(self, prompt: str) -> asyncio.Future[bool]:
        future = self._inflight.get(prompt)
        if future is None:
            future = asyncio.ensure_future(self._ask(prompt))
            self._inflight[prompt] = future
            future.add_done_callback(lambda _: self._inflight.pop(prompt, None))
        return future

    async def _within_step_budget(self, future: asyncio.Future[bool]) -> bool:
        if self.config.step_budget_s is None:
            return await asyncio.shield(future)
        left = self._step_deadline - asyncio.get_running_loop().time()
        try:
            return await asyncio.wait_for(asyncio.shield(future), max(left, 0.0))
        except asyncio.TimeoutError:
            future.cancel()  # frees its concurrency slot; a check sharing it fails the same way (same budget)
            raise JudgeError(
                f"consistency judge '{self.name}' at {self.url} ran out of the per-step budget "
                f"(r1_reward.judge.step_budget_s={self.config.step_budget_s:g}) before this check was answered. "
                "Fix: check the judge server's load, raise step_budget_s or concurrency, or set "
                "r1_reward.reward.on_judge_failure=zero to score such checks 0 and go on"
            ) from None

    async def _ask(self, prompt: str) -> bool:
        config = self.config
        try:
            return await self._chat.post_chat(self._payload(prompt), _verdict)
        except ChatRefused as error:
            raise JudgeError(
                f"consistency judge '{self.name}' at {self.url} answered HTTP {error.status}: a request the server "
                f"refuses will not work on retry. Fix: check r1_reward.judge.model={config.model!r} is "
                f"what the server serves and the API key env var (r1_reward.judge.api_key_env) is right"
            ) from error
        except ChatGaveUp as error:
            raise JudgeError(
                f"consistency judge '{self.name}' at {self.url} (model {config.model!r}) gave no verdict after "
                f"{error.attempts} attempts; last error: {error.last_error}. Fix: check the judge server is up and "
                f"answers /chat/completions (launch/serve_judge.sh), raise r1_reward.judge.timeout_s / retries, "
                "or set r1_reward.reward.on_judge_failure=zero to score consistency 0 and go on"
            ) from error
        except ChatError as error:
            raise JudgeError(f"consistency judge '{self.name}' at {self.url} failed: {error}") from error

    def _payload(self, prompt: str) -> dict[str, Any]:
        return {
            "model": self.config.model,
            "messages": [{"role": "user", "content": prompt}],
            "max_tokens": 2,
            "temperature": 0.0,
        }

    async def close(self) -> None:
        """Close the shared client (call from the loop that used it)."""
        await self._chat.close()
        self._loop = None


def _verdict(body: Any) -> bool:
    """The yes/no in a chat completion; anything else is worth another attempt (the reply is never quoted: a
    server may echo the key)."""
    try:
        reply = body["choices"][0]["message"]["content"]
    except (KeyError, IndexError, TypeError) as error:
        raise RetryableError("reply is not an OpenAI chat completion") from error
    verdict = parse_verdict(reply) if isinstance(reply, str) else None
    if verdict is None:
        raise RetryableError(f"reply ({len(str(reply))} chars) is not 'yes' or 'no'")
    return verdict
