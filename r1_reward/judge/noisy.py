"""Judges of known unreliability for the robustness study of appendix C.11 (Table 13).

``FlipJudge`` flips a real judge's verdict with probability p ("Strong Judge + 25% label noise");
``RandomJudge`` answers yes with probability 1/2 and asks nothing ("Random Judge").
Draws are seeded and keyed by the request, not by call order, so a run is reproducible however the
concurrent checks interleave (the same request under the same seed always gets the same draw).
"""

import hashlib

from r1_reward.judge.base import Judge, JudgeRequest


def uniform_draw(seed: int, salt: str, request: JudgeRequest) -> float:
    """A number in [0, 1) fixed by (seed, salt, request) and spread uniformly across requests."""
    key = f"{seed}\x00{salt}\x00{request.answer}\x00{request.think}".encode("utf-8", "surrogatepass")
    return int.from_bytes(hashlib.sha256(key).digest()[:8], "big") / 2.0**64


class FlipJudge:
    """Wraps a judge and flips its verdict with probability ``flip_prob``."""

    def __init__(self, inner: Judge, flip_prob: float, seed: int) -> None:
        if not 0.0 <= flip_prob <= 1.0:
            raise ValueError(f"r1_reward.judge.flip_prob must be in [0, 1], got {flip_prob}")
        self.inner, self.flip_prob, self.seed = inner, flip_prob, seed
        self.name = f"{inner.name}+flip{flip_prob:g}"

    async def judge(self, request: JudgeRequest) -> bool:
        verdict = await self.inner.judge(request)
        return (not verdict) if uniform_draw(self.seed, "flip", request) < self.flip_prob else verdict

    async def close(self) -> None:
        await self.inner.close()


class RandomJudge:
    """Says "consistent" with probability 1/2, independent of the reasoning."""

    name = "random"

    def __init__(self, seed: int) -> None:
        self.seed = seed

    async def judge(self, request: JudgeRequest) -> bool:
        return uniform_draw(self.seed, "random", request) < 0.5

    async def close(self) -> None:
        return None
