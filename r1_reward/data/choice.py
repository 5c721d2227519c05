"""Reading the choice 1/2 for ground-truth labels and annotator replies, through the shared output parser.

``r1_reward.parse.parse_output`` is the one definition of "answer 1" for reward, evaluation and data.
"""

from r1_reward.parse import parse_output


def parse_choice(text: str) -> int | None:
    """1 or 2 from a label such as ``<answer>2</answer>`` (or a bare "1"/"2"); None for anything else."""
    answer = parse_output(text).answer or (text.strip() if text.strip() in ("1", "2") else None)
    return int(answer) if answer else None


def reply_choice(reply: str) -> int | None:
    """The choice in an annotator reply in Table 1's exact ``<think>…</think><answer>1|2</answer>`` format, else None.

    A reply out of format counts as a wrong attempt, so the SFT set only teaches the format.
    """
    parsed = parse_output(reply)
    return int(parsed.answer) if parsed.format_ok and parsed.answer else None
