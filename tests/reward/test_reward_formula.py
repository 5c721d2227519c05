"""Table-driven tests of the final reward (§3.2 Eq. 2, Table 7 "external") and of the judge gate."""

import asyncio

import pytest

from r1_reward.judge.base import JudgeError, JudgeRequest
from r1_reward.reward.formula import RewardWeights, final_reward
from r1_reward.reward.scoring import score_output, score_outputs


class FixedJudge:
    """Test double: always the same verdict (or failure), counting calls."""

    name = "fixed"

    def __init__(self, verdict: bool | None) -> None:
        self.verdict, self.calls = verdict, 0

    async def judge(self, request: JudgeRequest) -> bool:
        self.calls += 1
        if self.verdict is None:
            raise JudgeError("injected")
        return self.verdict

    async def close(self) -> None:
        return None


GOOD_1 = "<think>Response 1 is better.</think><answer>1</answer>"
GOOD_2 = "<think>Response 1 is better.</think><answer>2</answer>"
NO_FORMAT_1 = "<think>Response 1 is better.</think><answer>1</answer> extra"
NO_THINK_1 = "<answer>1</answer>"
ANSWER_3 = "<think>r</think><answer>3</answer>"

# (case, output, ground truth, judge verdict, weights, expected score, expected judge calls), by hand:
# gated: result*(1 + λ*consistency) + μ*format; external: result + λ*consistency + μ*format.
GATED, EXTERNAL = RewardWeights(0.5, 0.5, "gated"), RewardWeights(0.5, 0.5, "external")
CASES = [
    ("right, consistent, formatted", GOOD_1, "1", True, GATED, 2.0, 1),  # 1*(1+.5)+.5
    ("right, inconsistent, formatted", GOOD_1, "1", False, GATED, 1.5, 1),  # 1*1+.5
    ("wrong, consistent: gate keeps judge out", GOOD_2, "1", True, GATED, 0.5, 0),  # 0+.5
    ("right, consistent, text after answer", NO_FORMAT_1, 1, True, GATED, 1.5, 1),  # 1.5+0; int ground truth
    ("right but no reasoning to judge", NO_THINK_1, "1", True, GATED, 1.0, 0),
    ("answer 3", ANSWER_3, "1", True, GATED, 0.5, 0),
    ("empty output", "", "2", True, GATED, 0.0, 0),
    ("lambda 0.1", GOOD_1, "1", True, RewardWeights(0.1, 0.5), 1.6, 1),  # 1.1+.5
    ("lambda 1", GOOD_1, "1", True, RewardWeights(1.0, 0.5), 2.5, 1),  # 2+.5
    ("lambda 0: judge never asked", GOOD_1, "1", True, RewardWeights(0.0, 0.5), 1.5, 0),
    ("external, wrong but consistent", GOOD_2, "1", True, EXTERNAL, 1.0, 1),  # 0+.5+.5: Table 7's flaw
    ("external, right, consistent", GOOD_1, "1", True, EXTERNAL, 2.0, 1),
    ("external, right, inconsistent", GOOD_1, "1", False, EXTERNAL, 1.5, 1),
]


@pytest.mark.parametrize(
    ("text", "truth", "verdict", "weights", "score", "calls"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_reward_table(text, truth, verdict, weights, score, calls) -> None:
    judge = FixedJudge(verdict)
    scores = asyncio.run(score_output(text, truth, judge, weights, on_failure="fail"))
    assert scores["score"] == pytest.approx(score)
    assert judge.calls == calls
    assert scores["judged"] == float(calls)


def test_sub_scores_are_all_reported() -> None:
    scores = asyncio.run(score_output(GOOD_1, "1", FixedJudge(True), GATED, on_failure="fail"))
    assert scores == {
        "score": 2.0,
        "format": 1.0,
        "result": 1.0,
        "consistency": 1.0,
        "judged": 1.0,
        "judge_failed": 0.0,
    }


def test_judge_calls_equal_correct_answers() -> None:
    """The gate: a batch of 3 right and 2 wrong answers asks the judge exactly 3 times."""
    texts = [GOOD_1, GOOD_1, GOOD_2, GOOD_2, GOOD_1]
    truths = ["1", "1", "1", "1", "1"]
    judge = FixedJudge(True)
    scores = asyncio.run(score_outputs(texts, truths, judge, GATED, on_failure="fail"))
    assert judge.calls == 3
    assert [s["score"] for s in scores] == [2.0, 2.0, 0.5, 0.5, 2.0]


def test_failure_policy_zero_scores_no_more_than_inconsistent() -> None:
    scores = asyncio.run(score_output(GOOD_1, "1", FixedJudge(None), GATED, on_failure="zero"))
    assert (scores["score"], scores["consistency"], scores["judge_failed"]) == (1.5, 0.0, 1.0)


def test_failure_policy_fail_raises() -> None:
    with pytest.raises(JudgeError):
        asyncio.run(score_output(GOOD_1, "1", FixedJudge(None), GATED, on_failure="fail"))


@pytest.mark.parametrize("truth", ["3", "", None, "1 or 2"])
def test_bad_ground_truth_names_the_fix(truth) -> None:
    with pytest.raises(ValueError, match="ground truth"):
        asyncio.run(score_output(GOOD_1, truth, FixedJudge(True), GATED, on_failure="fail"))


def test_gate_never_rewards_a_wrong_answer_above_format() -> None:
    """Gated formula: with result 0 the reward is μ·format whatever consistency is (the point of Eq. 2)."""
    assert final_reward(0.0, 1.0, 1.0, GATED) == final_reward(0.0, 0.0, 1.0, GATED) == 0.5


@pytest.mark.parametrize("kwargs", [{"combine": "sum"}, {"consistency": -0.1}, {"format": -1.0}])
def test_bad_weights_rejected(kwargs) -> None:
    with pytest.raises(ValueError, match="r1_reward.reward"):
        RewardWeights(**kwargs)
