"""Our judge prompt and the strict parse of its one-word verdict."""

import pytest

from r1_reward.judge.base import JudgeRequest
from r1_reward.judge.prompt import judge_prompt, parse_verdict


@pytest.mark.parametrize(
    ("reply", "verdict"),
    [
        ("yes", True),
        ("No", False),
        (" YES.\n", True),
        ("no.", False),
        ("maybe", None),
        ("yes, because", None),
        ("", None),
        ("Yes!", None),
        ("y", None),
        ("no no", None),
    ],
)
def test_parse_verdict_is_strict(reply: str, verdict: bool | None) -> None:
    assert parse_verdict(reply) is verdict


def test_prompt_keeps_the_conclusion_of_a_long_reasoning() -> None:
    reasoning = "x" * 10_000 + " Response 2 is better."
    prompt = judge_prompt(JudgeRequest(reasoning, "2"), max_reasoning_chars=100)
    assert "Response 2 is better." in prompt
    assert "x" * 101 not in prompt
    assert "Final answer: 2" in prompt
