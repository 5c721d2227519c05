"""Test-time scaling aggregates against hand-worked cases (paper §C.5, Table 12)."""

import pytest

from r1_reward.evaluate import scaling
from r1_reward.evaluate.metrics import scaling_metrics


@pytest.mark.parametrize(
    ("answers", "expected"),
    [
        (["1", "2", "2"], "2"),
        (["1", "2"], "1"),  # tie: the answer sampled first
        (["2", "1", "1", "2"], "2"),
        ([None, None, "1"], "1"),  # unparseable samples abstain: the one parsed vote decides
        ([None, "1", "1"], "1"),
        ([None, None], None),  # nothing parsed: no verdict, scored wrong
    ],
)
def test_vote(answers, expected):
    assert scaling.vote(answers) == expected


def test_confidence_vote_can_overrule_the_majority():
    assert scaling.confidence_vote(["1", "2", "2"], [0.9, 0.3, 0.4]) == "1"  # 0.9 > 0.3 + 0.4
    assert scaling.confidence_vote(["1", "2", "2"], [0.5, 0.3, 0.4]) == "2"
    assert scaling.confidence_vote([None, None], [0.9, 0.9]) is None
    assert scaling.confidence_vote(["2", "1", "1"], [None, None, None]) == "1"  # no probabilities: plain vote


@pytest.mark.parametrize(
    ("answers", "expected"),
    [
        (["1", "1", "1", "2", "2"], ("1", 3)),
        (["1", "2", "2", "2", "1"], ("2", 4)),
        (["1", "2"] * 10, ("1", 16)),  # never 3 in a row: majority over the 16 allowed samples (8-8 tie -> first)
        (["2", "1", "2", "1", "1", "2", "2"], ("2", 7)),  # no run within 7: vote 4-3 for "2"
        ([None, None, None, "1"], ("1", 4)),  # three unparseable in a row are no run; all 4 drawn, "1" votes
        (["1", None, "1", None, "1"], ("1", 5)),  # abstentions neither break a run nor extend it
        ([None] * 20, (None, 16)),
    ],
)
def test_early_stop(answers, expected):
    assert scaling.early_stop(answers) == expected


@pytest.mark.parametrize(
    ("answers", "expected"),
    [
        ([None, None, "2", None, "1", "2"], "2"),
        ([None, None, None, "1"], "1"),
        (["2", None, None, None, "1", "1"], "1"),  # 2 votes to 1: the abstentions are not a third candidate
        ([None, None, None], None),
    ],
)
def test_one_rule_for_unparseable_samples(answers, expected):
    # With no probabilities (weight 1 each) and no run of 3, vote@k, confidence-weighted voting and early stop must
    # agree: an unparseable sample abstains in all three, and only "nothing parsed" gives no verdict.
    assert scaling.vote(answers) == expected
    assert scaling.confidence_vote(answers, [None] * len(answers)) == expected
    assert scaling.early_stop(answers) == (expected, len(answers))


def test_scaling_metrics_curves():
    def samples(*pairs):
        return [{"answer": a, "prob": p} if p is not None else {"answer": a} for a, p in pairs]

    records = [
        {"gold": "1", "samples": samples(("2", 0.6), ("1", 0.9), ("1", None))},
        {"gold": "2", "samples": samples(("1", 0.3), ("1", 0.3), ("2", 0.99))},
        {"gold": "2", "samples": samples((None, None), (None, None), (None, None))},
    ]
    m = scaling_metrics(records, 3)
    assert m["vote@3"] == pytest.approx(1 / 3)
    assert m["any@3"] == pytest.approx(2 / 3)
    assert m["confidence_weighted@3"] == pytest.approx(2 / 3)  # record 2: 0.99 > 0.3 + 0.3 overrules the vote
    # confidence curve by hand: k=1 every first sample is wrong; k=2 record 1 has 0.9 for "1" > 0.6 for "2";
    # k=3 record 1 has 0.9 + 1 (no prob) for "1" and record 2 has 0.99 for "2" > 0.3 + 0.3
    assert m["curve"] == {"k": [1, 2, 3], "vote": [0.0, 0.0, pytest.approx(1 / 3)],
                          "any": [0.0, pytest.approx(1 / 3), pytest.approx(2 / 3)],
                          "confidence": [0.0, pytest.approx(1 / 3), pytest.approx(2 / 3)]}  # fmt: skip
    assert m["early_stop"] == {"acc": pytest.approx(1 / 3), "mean_samples": 3, "max_samples": 3}
