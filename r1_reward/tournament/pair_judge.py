"""The trained R1-Reward model as the pairwise judge of a GRPO tournament (Appendix C.9), over OpenAI chat.

One request per match: the paper's Table 1 prompt (:func:`r1_reward.prompt.build_prompt`) with the prompt's
image(s) as inline ``image_url`` parts before it, read by the shared parser (:func:`r1_reward.parse.chat_choice_answer`,
which also takes the answer token's probability from ``logprobs``).
The client rules are the consistency judge's: the shared transport :mod:`r1_reward.openai_chat` (one session per
process, at most ``concurrency`` requests in flight, timeouts, retries with backoff), and identical matches in
flight share one request. A reply without a verdict is *unparseable*, a request that still fails after its retries
is *failed*: both are returned as a verdict of ``None`` (counted, never scored); a refused request (HTTP 4xx)
stops with an error naming the fix, since every other call would be refused too.
"""

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from r1_reward.judge.base import JudgeError
from r1_reward.openai_chat import ChatGaveUp, ChatRefused, ChatSettings, OpenAIChat, image_part
from r1_reward.parse import chat_choice_answer
from r1_reward.prompt import build_prompt
from r1_reward.tournament.pairing import Match, Verdict


@dataclass(frozen=True)
class PairJudgeSettings(ChatSettings):
    """Transport settings plus the generation settings of one judgement (the reply holds a whole reasoning)."""

    concurrency: int = 64
    max_tokens: int = 1024
    temperature: float = 0.0
    use_logprobs: bool = False


@dataclass(frozen=True)
class GroupPrompt:
    """What all matches of one group share: the policy's question and its images as ready ``image_url`` parts."""

    question: str
    image_parts: tuple[dict[str, Any], ...] = ()

    @classmethod
    def build(cls, question: str, images: Sequence[Any]) -> "GroupPrompt":
        """Encode each image once per group (bytes keep their format, PIL images go as PNG)."""
        return cls(question, tuple(image_part(image) for image in images))


class PairJudge:
    """Judges matches between a group's responses; ``judge(group, responses, match)`` returns a :class:`Verdict`."""

    def __init__(self, settings: PairJudgeSettings, name: str) -> None:
        self.settings, self.name = settings, name
        self._chat = OpenAIChat(settings, concurrency=settings.concurrency)
        self.url = self._chat.url
        self._loop: asyncio.AbstractEventLoop | None = None
        self._inflight: dict[tuple, asyncio.Future[tuple[float | None, str]]] = {}

    def body(self, group: GroupPrompt, response1: str, response2: str) -> dict[str, Any]:
        """The chat-completion request of one match: images first, then Table 1's text."""
        text = {"type": "text", "text": build_prompt(group.question, response1, response2)}
        body = {
            "model": self.settings.model,
            "messages": [{"role": "user", "content": [*group.image_parts, text]}],
            "max_tokens": self.settings.max_tokens,
            "temperature": self.settings.temperature,
        }
        if self.settings.use_logprobs:
            body["logprobs"] = True
        return body

    async def judge(self, group: GroupPrompt, responses: Sequence[str], match: Match) -> Verdict:
        """The verdict on ``responses[match.first]`` (Response 1) against ``responses[match.second]``."""
        loop = asyncio.get_running_loop()
        if self._loop is not loop:
            self._loop, self._inflight = loop, {}
        first, second = responses[match.first], responses[match.second]
        key = (group.question, first, second, tuple(part["image_url"]["url"] for part in group.image_parts))
        future = self._inflight.get(key)
        if future is None:
            future = asyncio.ensure_future(self._ask(self.body(group, first, second)))
            self._inflight[key] = future
            future.add_done_callback(lambda _: self._inflight.pop(key, None))
        p_first, status = await asyncio.shield(future)
        return Verdict(match, p_first, status)  # type: ignore[arg-type]

    async def _ask(self, body: dict[str, Any]) -> tuple[float | None, str]:
        try:
            reply = await self._chat.post_chat(body)
        except ChatRefused as error:
            raise JudgeError(
                f"tournament judge '{self.name}' at {self.url} answered HTTP {error.status}: check that "
                f"r1_reward.judge.model={self.settings.model!r} is the model the server serves and the API key env "
                "var (r1_reward.judge.api_key_env) is right"
            ) from error
        except ChatGaveUp:
            return None, "failed"
        return p_first_of(reply)

    async def close(self) -> None:
        """Close the shared client (call from the loop that used it)."""
        await self._chat.close()
        self._loop = None


def p_first_of(reply: Any) -> tuple[float | None, str]:
    """(the Response 1 slot's win, status) of a chat completion: 1 / 0 for answer 1 / 2, or q / 1 − q with the
    answer token's probability q when the reply has logprobs; (None, "unparseable") without a valid answer."""
    try:
        choice = reply["choices"][0]
    except (KeyError, IndexError, TypeError):
        return None, "unparseable"
    sample = chat_choice_answer(choice)
    if sample.answer is None:
        return None, "unparseable"
    confidence = 1.0 if sample.prob is None else sample.prob
    return (confidence if sample.answer == "1" else 1.0 - confidence), "ok"
