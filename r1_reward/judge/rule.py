"""``rule`` judge: a deterministic reading of the reasoning's stated conclusion, no model (the embedded default).

Appendix C.3 notes the check is simple: is the conclusion in the reasoning ("1 is better" / "2 is better")
the same as the final answer? This judge finds the last explicit preference statement in the reasoning
(e.g. "Response 2 is better", "I prefer Response 1", "the better response is Response 2",
"Response 1 is worse") and compares it with the answer. No statement found means "not consistent": a judge that
cannot see a conclusion must not add reward.
"""

import re

from r1_reward.judge.base import JudgeRequest
from r1_reward.parse import Answer

_ITEM = r"(?:response|answer|option|output|candidate)\s*#?\s*"
_QUALIFIER = r"(?:(?:clearly|slightly|much|significantly|overall|the|more|far|definitely)\s+)*"
_PRAISE = r"(?:better|superior|preferred|preferable|stronger|best|more\s+accurate|more\s+helpful|the\s+winner)"
_BLAME = r"(?:worse|inferior|weaker|less\s+accurate|less\s+helpful)"

# Each pattern captures the digit and says whether the statement favours it (True) or the other one (False).
_PATTERNS: tuple[tuple[re.Pattern[str], bool], ...] = (
    (re.compile(_ITEM + r"([12])\s+(?:is|was|seems|appears)\s+(?:to\s+be\s+)?" + _QUALIFIER + _PRAISE, re.I), True),
    (re.compile(_ITEM + r"([12])\s+(?:is|was|seems|appears)\s+(?:to\s+be\s+)?" + _QUALIFIER + _BLAME, re.I), False),
    (re.compile(r"(?:prefer|choose|select|pick|favou?r)\s+" + _ITEM + r"([12])\b", re.I), True),
    (
        re.compile(
            r"(?:better|best|preferred|superior)\s+(?:response|answer|option)\s+is\s+" + _ITEM + r"([12])\b", re.I
        ),
        True,
    ),
    (re.compile(_ITEM + r"([12])\s+(?:wins|outperforms|is\s+the\s+winner)", re.I), True),
)


def _other(digit: str) -> Answer:
    return "2" if digit == "1" else "1"


def stated_conclusion(reasoning: str) -> Answer | None:
    """The answer the reasoning argues for, taken from its last preference statement; None if there is none."""
    last_position, conclusion = -1, None
    for pattern, favours in _PATTERNS:
        for match in pattern.finditer(reasoning):
            if match.start() > last_position:
                digit = match.group(1)
                last_position, conclusion = match.start(), digit if favours else _other(digit)
    return conclusion


class RuleJudge:
    """Consistent iff the reasoning's stated conclusion equals the final answer."""

    name = "rule"

    async def judge(self, request: JudgeRequest) -> bool:
        return stated_conclusion(request.think) == request.answer

    async def close(self) -> None:
        return None
