"""Labels and annotator replies are read with the shared parser's rules."""

import pytest

from r1_reward.data.choice import parse_choice, reply_choice


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("<answer>2</answer>", 2),
        ("<answer> 1 </answer>", 1),
        ("2", 2),
        ("<answer>3</answer>", None),
        ("<answer>1 or 2</answer>", None),
        ("<answer>1</answer><answer>2</answer>", None),
        ("", None),
    ],
)
def test_parse_choice(text, expected):
    assert parse_choice(text) == expected


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        ("<think>r2 is better</think><answer>2</answer>", 2),
        ("<think>x</think>\n<answer>1</answer>\n", 1),
        ("<answer>1</answer>", None),  # no reasoning: not kept as SFT target
        ("Sure! <think>x</think><answer>1</answer>", None),
        ("<think>x</think><answer>one</answer>", None),
    ],
)
def test_reply_choice_needs_the_table_1_format(reply, expected):
    assert reply_choice(reply) == expected
