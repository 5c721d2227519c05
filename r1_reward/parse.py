"""The one parser of policy outputs for the Table 1 prompt: ``<think>…</think><answer>1|2</answer>``.

Training reward and evaluation both call :func:`parse_output`, so "what counts as answer 1" has one definition:
- ``answer`` is ``"1"`` or ``"2"`` when the output holds exactly one ``<answer>…</answer>`` pair whose content,
  stripped of whitespace, is that digit; anything else (no pair, two answers, ``3``, ``1 or 2``) is ``None``.
- ``format_ok`` (the format reward of §3.2) additionally needs exactly one ``<think>…</think>`` pair, first, and
  nothing but whitespace outside the two pairs; ``answer`` does not depend on it.
- ``think`` is the reasoning inside the single think pair (``None`` without exactly one pair); the judge reads it.
Plain string search, no backtracking regex, so very long outputs cost linear time; nothing is ever evaluated.
"""

from dataclasses import dataclass
from typing import Literal

Answer = Literal["1", "2"]
VALID_ANSWERS: tuple[Answer, ...] = ("1", "2")


@dataclass(frozen=True)
class ParsedOutput:
    """What a policy output says: is the format exact, which answer (if a valid one), and the reasoning."""

    format_ok: bool
    answer: Answer | None
    think: str | None


def _single_pair(text: str, tag: str) -> tuple[int, int] | None:
    """Span ``(start of open tag, end of close tag)`` of the only ``<tag>…</tag>`` pair, or None if not exactly one."""
    open_tag, close_tag = f"<{tag}>", f"</{tag}>"
    if text.count(open_tag) != 1 or text.count(close_tag) != 1:
        return None
    start, end = text.find(open_tag), text.find(close_tag)
    if end < start:
        return None
    return start, end + len(close_tag)


def _inner(text: str, span: tuple[int, int], tag: str) -> str:
    """Content between the open and close tag of a span found by :func:`_single_pair`."""
    return text[span[0] + len(tag) + 2 : span[1] - len(tag) - 3]


def _answer(text: str, span: tuple[int, int] | None) -> Answer | None:
    if span is None:
        return None
    content = _inner(text, span, "answer").strip()
    return content if content in VALID_ANSWERS else None  # type: ignore[return-value]


def _format_ok(text: str, think: tuple[int, int] | None, answer: tuple[int, int] | None) -> bool:
    """One think pair, then one answer pair, only whitespace around and between them."""
    if think is None or answer is None or think[1] > answer[0]:
        return False
    outside = text[: think[0]] + text[think[1] : answer[0]] + text[answer[1] :]
    return outside.strip() == ""


def parse_output(text: str) -> ParsedOutput:
    """Parse one decoded policy output (see the module docstring for the exact rules)."""
    think_span = _single_pair(text, "think")
    answer_span = _single_pair(text, "answer")
    return ParsedOutput(
        format_ok=_format_ok(text, think_span, answer_span),
        answer=_answer(text, answer_span),
        think=None if think_span is None else _inner(text, think_span, "think"),
    )
