"""Eq. 3 (Appendix C.9) on fixed verdicts worked out by hand, the pairing modes' call counts, and the seeded
knockout bracket."""

import asyncio
import random

import pytest

from r1_reward.tournament.pairing import (
    Match,
    Verdict,
    bracket,
    calls_per_group,
    check_mode,
    eq3_scores,
    one_order_matches,
    play,
    position_disagreements,
)


def v(first: int, second: int, p_first: float | None, status: str = "ok") -> Verdict:
    return Verdict(Match(first, second), p_first, status)


# Three responses, both orders of every pair:
#   {0,1}: r0 first wins (p=1); r1 first loses (p=0)  -> s01 = ½(1 + 1 − 0) = 1,   s10 = 0
#   {0,2}: slot 1 wins both times (position bias)      -> s02 = ½(1 + 1 − 1) = ½,   s20 = ½   (a tie)
#   {1,2}: r1 first failed; r2 first loses (p=0)       -> s12 = ½(0 + 1) = ½,       s21 = ½(0 + 0) = 0
# Score = (1 + ½, 0 + ½, ½ + 0).
ROUND_ROBIN = [v(0, 1, 1.0), v(1, 0, 0.0), v(0, 2, 1.0), v(2, 0, 1.0), v(1, 2, None, "failed"), v(2, 1, 0.0)]


def test_round_robin_by_hand_with_a_tie_and_a_failure():
    assert eq3_scores(3, ROUND_ROBIN) == [1.5, 0.5, 0.5]


def test_an_unparseable_verdict_counts_like_a_failure():
    unparseable = [*ROUND_ROBIN[:4], v(1, 2, None, "unparseable"), ROUND_ROBIN[5]]
    assert eq3_scores(3, unparseable) == [1.5, 0.5, 0.5]


def test_a_failure_never_raises_a_score():
    # The failed call above, had it been answered either way: r1 first wins (p=1) or loses (p=0).
    for p in (0.0, 1.0):
        answered = eq3_scores(3, [*ROUND_ROBIN[:4], v(1, 2, p), ROUND_ROBIN[5]])
        failed = eq3_scores(3, ROUND_ROBIN)
        assert all(f <= a for f, a in zip(failed, answered)), (p, failed, answered)


def test_all_failed_gives_zero_everywhere():
    assert eq3_scores(2, [v(0, 1, None, "failed"), v(1, 0, None, "unparseable")]) == [0.0, 0.0]


def test_probability_weighted_verdicts():
    # r0 first: P(answer 1) = 0.8; r1 first: P(answer 1) = 0.3 -> s01 = ½(0.8 + 0.7) = 0.75, s10 = 0.25.
    assert eq3_scores(2, [v(0, 1, 0.8), v(1, 0, 0.3)]) == pytest.approx([0.75, 0.25])


def test_one_order_by_hand():
    # One call per pair: r1 beats r0 from slot 1, r2 beats r0 from slot 2, r2-vs-r1 weighted ½.
    assert eq3_scores(3, [v(1, 0, 1.0), v(0, 2, 0.0), v(2, 1, 0.5)]) == [0.0, 1.5, 1.5]


def test_position_bias_counts_pairs_whose_orders_name_the_same_slot():
    # {0,1} orders agree on r0, {0,2} both name slot 1, {1,2} has a failed order and is left out.
    assert position_disagreements(ROUND_ROBIN) == (1, 2)


async def _longer_wins(match: Match, lengths: list[int], calls: list[Match]) -> Verdict:
    calls.append(match)
    return v(match.first, match.second, 1.0 if lengths[match.first] >= lengths[match.second] else 0.0)


@pytest.mark.parametrize(
    ("mode", "n", "expected"),
    [
        ("round_robin", 8, 56),
        ("round_robin_one_order", 8, 28),
        ("knockout", 8, 7),
        ("knockout", 5, 4),
        ("round_robin", 2, 2),
        ("round_robin_one_order", 5, 10),
    ],
)
def test_calls_per_mode(mode, n, expected):
    calls: list[Match] = []
    asyncio.run(play(mode, n, 0, lambda m: _longer_wins(m, list(range(n)), calls)))
    assert len(calls) == expected == calls_per_group(mode, n)


def test_round_robin_of_a_strict_order_ranks_by_wins():
    # r_k beats every shorter response in both orders: Score(r_k) = k.
    scores, _ = asyncio.run(play("round_robin", 4, 0, lambda m: _longer_wins(m, [0, 1, 2, 3], [])))
    assert scores == [0.0, 1.0, 2.0, 3.0]


def test_one_order_slot_order_is_seeded():
    first = one_order_matches(8, random.Random(7))
    assert first == one_order_matches(8, random.Random(7))
    assert {(m.first, m.second) for m in first} != {(m.first, m.second) for m in one_order_matches(8, random.Random(8))}
    assert {m.first < m.second for m in first} == {True, False}  # both slot orders occur


def test_knockout_is_deterministic_under_a_seed():
    def run(seed):
        calls: list[Match] = []
        scores, verdicts = asyncio.run(play("knockout", 8, seed, lambda m: _longer_wins(m, list(range(8)), calls)))
        return scores, calls

    assert run(3) == run(3)
    assert bracket(8, random.Random(3)) != bracket(8, random.Random(4))
    scores, calls = run(3)
    # The strongest wins 3 rounds, the finalist 2, the semi-finalists 1, the first-round losers 0.
    assert scores[7] == 3.0 and sorted(scores) == [0, 0, 0, 0, 1, 1, 2, 3]


def test_knockout_failed_match_eliminates_both_and_byes_advance():
    async def judge(match: Match) -> Verdict:
        if 0 in (match.first, match.second):
            return v(match.first, match.second, None, "failed")
        return v(match.first, match.second, 1.0 if match.first > match.second else 0.0)

    scores, verdicts = asyncio.run(play("knockout", 4, 0, judge))
    failed = next(vv.match for vv in verdicts if vv.p_first is None)
    opponent = failed.second if failed.first == 0 else failed.first
    assert scores[0] == 0.0 and scores[opponent] == 0.0
    assert sorted(scores) == [0.0, 0.0, 0.0, 1.0]  # the other match's winner advances once; no final is played
    assert len(verdicts) == 2


def test_unknown_mode_names_the_choices():
    with pytest.raises(ValueError, match="round_robin_one_order"):
        check_mode("swiss")
