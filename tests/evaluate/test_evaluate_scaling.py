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
        ([None, None, "1"], None),  # unparseable majority: no verdict, scored wrong
        ([None, "1", "1"], "1"),
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
        ([None, None, None, "1"], (None, 3)),
    ],
)
def test_early_stop(answers, expected):
    assert scaling.early_stop(answers) == expected


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
