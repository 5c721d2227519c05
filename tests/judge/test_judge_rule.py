"""The rule judge: which conclusion does a reasoning state (table), and the verdict it gives."""

import asyncio

import pytest

from r1_reward.judge.base import JudgeRequest
from r1_reward.judge.rule import RuleJudge, stated_conclusion

CASES = [
    ("Overall, Response 1 is better.", "1"),
    ("response 2 is clearly better than response 1", "2"),
    ("Response 2 is more accurate", "2"),
    ("I prefer Response 1.", "1"),
    ("Thus the better response is Response 2.", "2"),
    ("Response 1 is worse because it hallucinates.", "2"),
    ("Response #2 is superior.", "2"),
    ("Answer 1 wins.", "1"),
    # the last statement is the conclusion
    ("At first Response 1 is better, but on reflection Response 2 is better.", "2"),
    ("Response 1 is not better.", None),  # a negation states no preference we can read
    ("Both are fine.", None),
    ("", None),
    ("Response 3 is better.", None),
]


@pytest.mark.parametrize(("reasoning", "conclusion"), CASES)
def test_stated_conclusion(reasoning: str, conclusion: str | None) -> None:
    assert stated_conclusion(reasoning) == conclusion


@pytest.mark.parametrize(
    ("reasoning", "answer", "verdict"),
    [
        ("Response 2 is better.", "2", True),
        ("Response 2 is better.", "1", False),  # the paper's example of inconsistency (§3.2)
        ("No clear conclusion.", "1", False),  # no conclusion: never counted as consistent
    ],
)
def test_rule_verdict(reasoning: str, answer: str, verdict: bool) -> None:
    assert asyncio.run(RuleJudge().judge(JudgeRequest(reasoning, answer))) is verdict
