"""The one parser of policy outputs for the Table 1 prompt: ``<think>…</think><answer>1|2</answer>``.

Training reward and evaluation both call :func:`parse_output`, so "what counts as answer 1" has one definition:
- ``answer`` is ``"1"`` or ``"2"`` when the output holds exactly one ``<answer>…</answer>`` pair whose content,
  stripped of whitespace, is that digit; anything else (no pair, two answers, ``3``, ``1 or 2``) is ``None``.
- ``format_ok`` (the format reward of §3.2) additionally needs exactly one ``<think>…</think>`` pair, first, and
  nothing but whitespace outside the two pairs; ``answer`` does not depend on it.
- ``think`` is the reasoning inside the single think pair (``None`` without exactly one pair); the judge reads it.
Plain string search, no backtracking regex, so very long outputs cost linear time; nothing is ever evaluated.
"""

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

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


def answer_char_offset(text: str, answer: str | None) -> int | None:
    """Character offset of the verdict digit inside the output's ``<answer>`` pair, or None if there is no verdict."""
    if answer is None:
        return None
    start = text.find("<answer>")
    found = text.find(answer, start + len("<answer>")) if start >= 0 else -1
    return found if found >= 0 else None


def token_index_at(offset: int, n_tokens: int, prefix_text: Callable[[int], str]) -> int:
    """Index of the token that holds character ``offset``: the smallest i with ``len(prefix_text(i + 1)) > offset``.

    ``prefix_text(n)`` decodes the first n generated tokens; binary search keeps this O(log n) decodes.
    """
    low, high = 0, n_tokens - 1
    while low < high:
        middle = (low + high) // 2
        if len(prefix_text(middle + 1)) > offset:
            high = middle
        else:
            low = middle + 1
    return low


@dataclass(frozen=True)
class ChoiceAnswer:
    """The verdict of one OpenAI chat-completion choice: answer, the answer token's probability if the reply carried
    ``logprobs``, and the text."""

    answer: Answer | None
    prob: float | None
    text: str


def chat_choice_answer(choice: dict[str, Any]) -> ChoiceAnswer:
    """Parse one chat-completion choice (``message.content``, optional ``logprobs.content``) with parse_output."""
    text = (choice.get("message") or {}).get("content") or ""
    answer = parse_output(text).answer
    tokens = ((choice.get("logprobs") or {}).get("content")) or []
    offset = answer_char_offset(text, answer)
    if offset is None or not tokens:
        return ChoiceAnswer(answer, None, text)
    pieces = [t.get("token", "") for t in tokens]
    index = token_index_at(offset, len(pieces), lambda n: "".join(pieces[:n]))
    return ChoiceAnswer(answer, math.exp(tokens[index]["logprob"]), text)
