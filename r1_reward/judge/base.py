"""The one small interface every consistency judge implements, and the errors it may raise.

A judge answers one question: does the reasoning's conclusion agree with the final answer? It never sees the
reward formula (the reward manager combines the verdict), and the reward manager never knows which backend it
talks to.
"""

from dataclasses import dataclass
from typing import Protocol

from r1_reward.parse import Answer


@dataclass(frozen=True)
class JudgeRequest:
    """One consistency check: the policy's reasoning (inside <think>) and its final answer."""

    think: str
    answer: Answer


class JudgeError(RuntimeError):
    """A judge could not give a verdict (after its retries); the message says what broke and how to fix it."""


class Judge(Protocol):
    """Anything with an async ``judge``; backends: rule, endpoint, pool, random (and the flip wrapper)."""

    name: str

    async def judge(self, request: JudgeRequest) -> bool:
        """True when the reasoning's conclusion agrees with the answer; raises JudgeError when it cannot tell."""
        ...

    async def close(self) -> None:
        """Release network resources (a no-op for judges without any)."""
        ...
