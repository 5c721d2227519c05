"""Pairwise tournament scoring of one prompt's rollouts (Appendix C.9, Eq. 3), independent of any judge or of verl.

A *call* shows the judge two responses of the same prompt, ``first`` in the Response 1 slot and ``second`` in the
Response 2 slot, and yields ``p_first``: how much the first response won (1 for answer "1", 0 for "2"; with
log-probs, the answer token's probability q gives q for "1" and 1 − q for "2"). A failed or unparseable call has
``p_first = None`` and gives *both* responses 0, so a bad verdict never raises a score.

Eq. 3 with our normalisation: s_ij is the mean, over the calls made on the pair {i, j}, of what r_i won in each
call. In ``round_robin`` (both orders) this is s_ij = ½(v_ij + 1 − v_ji), where v_ij is ``p_first`` of the call
with r_i first, so s_ij + s_ji = 1 when both calls are valid and a position-biased judge (same slot both times)
gives the tie ½ / ½. In ``round_robin_one_order`` (one seeded order per pair) s_ij = what r_i won in that call.
Score(r_i) = Σ_{j≠i} s_ij ∈ [0, N − 1]. ``knockout`` plays a seeded single-elimination bracket (N − 1 calls): a
response's score is the number of rounds it advanced through (byes included): p_first > ½ advances the first
response, otherwise the second; a failed match eliminates both.
"""

import asyncio
import random
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Literal

Mode = Literal["round_robin", "round_robin_one_order", "knockout"]
MODES: tuple[Mode, ...] = ("round_robin", "round_robin_one_order", "knockout")


@dataclass(frozen=True)
class Match:
    """One judge call: rollout ``first`` in the Response 1 slot, rollout ``second`` in the Response 2 slot."""

    first: int
    second: int


@dataclass(frozen=True)
class Verdict:
    """A judged match: ``p_first`` ∈ [0, 1] is the first response's win, None when the call failed/was unparseable."""

    match: Match
    p_first: float | None
    status: Literal["ok", "unparseable", "failed"] = "ok"

    def won(self, index: int) -> float:
        """What rollout ``index`` won in this call (0 when the call gave no verdict)."""
        if self.p_first is None:
            return 0.0
        return self.p_first if index == self.match.first else 1.0 - self.p_first


JudgeMatch = Callable[[Match], Awaitable[Verdict]]


def check_mode(mode: str) -> Mode:
    """``mode`` if known, else an error naming the choices."""
    if mode not in MODES:
        raise ValueError(f"r1_reward.tournament.mode={mode!r} is unknown: use one of {MODES}")
    return mode  # type: ignore[return-value]


def calls_per_group(mode: Mode, n: int) -> int:
    """Judge calls one group of ``n`` rollouts costs: N(N−1), N(N−1)/2 or N−1."""
    return {"round_robin": n * (n - 1), "round_robin_one_order": n * (n - 1) // 2, "knockout": max(n - 1, 0)}[mode]


def round_robin_matches(n: int) -> list[Match]:
    """All N(N−1) ordered pairs (the paper's setting)."""
    return [Match(i, j) for i in range(n) for j in range(n) if i != j]


def one_order_matches(n: int, rng: random.Random) -> list[Match]:
    """Each of the N(N−1)/2 unordered pairs once, its slot order drawn from ``rng``."""
    return [Match(i, j) if rng.random() < 0.5 else Match(j, i) for i in range(n) for j in range(i + 1, n)]


def eq3_scores(n: int, verdicts: Sequence[Verdict]) -> list[float]:
    """Score(r_i) = Σ_j s_ij, s_ij = mean over the calls on {i, j} of what r_i won (module docstring)."""
    won: dict[tuple[int, int], list[float]] = {}
    for verdict in verdicts:
        a, b = verdict.match.first, verdict.match.second
        won.setdefault((a, b), []).append(verdict.won(a))
        won.setdefault((b, a), []).append(verdict.won(b))
    return [sum(sum(w) / len(w) for (i, _), w in won.items() if i == k) for k in range(n)]


def position_disagreements(verdicts: Sequence[Verdict]) -> tuple[int, int]:
    """(pairs whose two orders name the same slot, i.e. pick different responses; pairs judged validly both ways)."""
    by_pair: dict[tuple[int, int], list[Verdict]] = {}
    for verdict in verdicts:
        if verdict.p_first is not None:
            key = (min(verdict.match.first, verdict.match.second), max(verdict.match.first, verdict.match.second))
            by_pair.setdefault(key, []).append(verdict)
    both = [pair for pair in by_pair.values() if len({v.match.first for v in pair}) == 2]
    same_slot = sum((pair[0].p_first > 0.5) == (pair[1].p_first > 0.5) for pair in both)
    return same_slot, len(both)


def bracket(n: int, rng: random.Random) -> list[int]:
    """The seeded first-round order of a knockout: a permutation of the rollouts (neighbours meet)."""
    order = list(range(n))
    rng.shuffle(order)
    return order


async def knockout(n: int, rng: random.Random, judge: JudgeMatch) -> tuple[list[float], list[Verdict]]:
    """Single elimination over a seeded bracket; scores are rounds advanced through. Each round's matches are
    judged concurrently by the caller's ``judge`` (rounds are sequential: a round needs the previous winners)."""
    alive, scores, verdicts = bracket(n, rng), [0.0] * n, []
    while len(alive) > 1:
        pairs = [alive[k : k + 2] for k in range(0, len(alive), 2)]
        matches = [Match(*p) if rng.random() < 0.5 else Match(p[1], p[0]) for p in pairs if len(p) == 2]
        results = iter(await asyncio.gather(*(judge(m) for m in matches)))
        survivors = []
        for pair in pairs:
            if len(pair) == 1:
                survivors.append(pair[0])  # a bye
                continue
            verdict = next(results)
            verdicts.append(verdict)
            if verdict.p_first is not None:
                survivors.append(verdict.match.first if verdict.p_first > 0.5 else verdict.match.second)
        for index in survivors:
            scores[index] += 1.0
        alive = survivors
    return scores, verdicts


async def play(mode: Mode, n: int, seed: int, judge: JudgeMatch) -> tuple[list[float], list[Verdict]]:
    """Scores of the ``n`` rollouts of one group and every verdict behind them, for any ``mode``."""
    rng = random.Random(seed)
    if mode == "knockout":
        return await knockout(n, rng, judge)
    matches = round_robin_matches(n) if mode == "round_robin" else one_order_matches(n, rng)
    verdicts = list(await asyncio.gather(*(judge(m) for m in matches)))
    return eq3_scores(n, verdicts), verdicts
