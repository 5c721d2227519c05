"""OpenAI-style chat judge: the ``endpoint`` backend (a server the user runs) and the ``pool`` backend (verl's
reward-model worker group, reached through the ``reward_router_address`` verl hands to reward managers).

All checks of a process share one aiohttp session and one semaphore (bounded concurrency); identical checks in
flight share one request; each attempt has a timeout, failed attempts are retried with exponential backoff
(``asyncio.sleep``, never a blocking sleep); a config error (HTTP 4xx) fails at once. After the last attempt a
:class:`JudgeError` says what broke and how to fix it. The API key goes only into the request header.
"""

import asyncio
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from r1_reward.judge.base import JudgeError, JudgeRequest
from r1_reward.judge.prompt import judge_prompt, parse_verdict


@dataclass(frozen=True)
class ChatJudgeSettings:
    """Where the judge is and how hard to try; ``api_key`` is excluded from repr so it is never printed."""

    base_url: str
    model: str
    api_key: str | None = field(default=None, repr=False)
    concurrency: int = 64
    timeout_s: float = 30.0
    max_retries: int = 3
    backoff_s: float = 0.5
    max_reasoning_chars: int = 4000
    max_tokens: int = 2


class _RetryableError(Exception):
    """One attempt failed in a way another attempt may fix (timeout, 5xx, dropped connection, garbage)."""


class ChatJudge:
    """Asks an OpenAI-compatible ``/chat/completions`` endpoint for a yes/no consistency verdict."""

    def __init__(self, settings: ChatJudgeSettings, name: str) -> None:
        self.settings, self.name = settings, name
        self.url = settings.base_url.rstrip("/") + "/chat/completions"
        self._loop: asyncio.AbstractEventLoop | None = None
        self._session: aiohttp.ClientSession | None = None
        self._semaphore: asyncio.Semaphore | None = None
        self._inflight: dict[str, asyncio.Future[bool]] = {}

    def _bind_to_running_loop(self) -> None:
        """Create the session and semaphore once per event loop (one per process in verl's reward workers)."""
        loop = asyncio.get_running_loop()
        if self._loop is loop:
            return
        limit = self.settings.concurrency
        self._loop, self._inflight = loop, {}
        self._semaphore = asyncio.Semaphore(limit)
        self._session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=limit, limit_per_host=limit))

    async def judge(self, request: JudgeRequest) -> bool:
        """The verdict for one check; concurrent identical checks share one HTTP request."""
        self._bind_to_running_loop()
        prompt = judge_prompt(request, self.settings.max_reasoning_chars)
        future = self._inflight.get(prompt)
        if future is None:
            future = asyncio.ensure_future(self._ask_with_retries(prompt))
            self._inflight[prompt] = future
            future.add_done_callback(lambda _: self._inflight.pop(prompt, None))
        return await asyncio.shield(future)

    async def _ask_with_retries(self, prompt: str) -> bool:
        settings, errors = self.settings, []
        for attempt in range(settings.max_retries + 1):
            if attempt:
                await asyncio.sleep(settings.backoff_s * 2 ** (attempt - 1))
            try:
                async with self._semaphore:
                    return await self._ask_once(prompt)
            except _RetryableError as error:
                errors.append(str(error))
        raise JudgeError(
            f"consistency judge '{self.name}' at {self.url} (model {settings.model!r}) gave no verdict after "
            f"{len(errors)} attempts; last error: {errors[-1]}. Fix: check the judge server is up and answers "
            f"/chat/completions (launch/serve_judge.sh), raise r1_reward.judge.timeout_s / max_retries, or set "
            "r1_reward.reward.on_judge_failure=zero to score consistency 0 and go on"
        )

    async def _ask_once(self, prompt: str) -> bool:
        timeout = aiohttp.ClientTimeout(total=self.settings.timeout_s)
        try:
            async with self._session.post(self.url, json=self._payload(prompt), headers=self._headers(),
                                          timeout=timeout) as response:
                self._check_status(response.status)
                body = await response.json(content_type=None)
        except asyncio.TimeoutError as error:
            raise _RetryableError(f"no reply within timeout_s={self.settings.timeout_s}") from error
        except aiohttp.ClientError as error:
            raise _RetryableError(f"connection failed: {type(error).__name__}: {error}") from error
        except ValueError as error:
            raise _RetryableError("reply body is not JSON") from error
        return self._verdict(body)

    def _check_status(self, status: int) -> None:
        if status == 429 or status >= 500:
            raise _RetryableError(f"HTTP {status}")
        if status >= 400:
            raise JudgeError(
                f"consistency judge '{self.name}' at {self.url} answered HTTP {status}: a request the server "
                f"refuses will not work on retry. Fix: check r1_reward.judge.model={self.settings.model!r} is "
                f"what the server serves and the API key env var (r1_reward.judge.api_key_env) is right"
            )

    def _verdict(self, body: Any) -> bool:
        try:
            reply = body["choices"][0]["message"]["content"]
        except (KeyError, IndexError, TypeError) as error:
            raise _RetryableError("reply is not an OpenAI chat completion") from error
        verdict = parse_verdict(reply) if isinstance(reply, str) else None
        if verdict is None:
            raise _RetryableError(f"reply {str(reply)[:40]!r} is not 'yes' or 'no'")
        return verdict

    def _payload(self, prompt: str) -> dict[str, Any]:
        return {
            "model": self.settings.model,
            "messages": [{"role": "user", "content": prompt}],
            "max_tokens": self.settings.max_tokens,
            "temperature": 0.0,
        }

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.settings.api_key}"} if self.settings.api_key else {}

    async def close(self) -> None:
        """Close the shared session (call from the loop that used it)."""
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._loop = self._session = None
