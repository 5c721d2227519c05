"""Reading the choice "1"/"2" out of an ``<answer>`` tag, for ground-truth labels and annotator replies."""

import re

ANSWER = re.compile(r"<answer>\s*(.*?)\s*</answer>", re.DOTALL)


def parse_choice(text: str) -> int | None:
    """1 or 2 from the last ``<answer>…</answer>`` in ``text`` (or from a bare "1"/"2"); None otherwise."""
    found = ANSWER.findall(text)
    value = found[-1] if found else text.strip()
    return int(value) if value in ("1", "2") else None


WELL_FORMED = re.compile(r"\s*<think>.+?</think>\s*<answer>\s*[12]\s*</answer>\s*", re.DOTALL)


def reply_choice(reply: str) -> int | None:
    """The choice in an annotator reply that follows Table 1's ``<think>…</think><answer>1|2</answer>``; else None.

    A reply out of format counts as a wrong attempt, so the SFT set only teaches the format.
    """
    return parse_choice(reply) if WELL_FORMED.fullmatch(reply) else None
