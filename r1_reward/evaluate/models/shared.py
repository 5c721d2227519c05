"""The evaluator's only link to the project's prompt and output parser (one import each, shared with training).

Model judges build the paper's Table 1 prompt with :func:`r1_reward.prompt.build_prompt` and read verdicts with the
reward's parser :func:`r1_reward.parse.parse_output`, so evaluation and training agree on what "answer 1" is.
"""

from r1_reward.evaluate.items import Presentation
from r1_reward.parse import parse_output
from r1_reward.prompt import build_prompt


def presentation_prompt(presentation: Presentation) -> str:
    """The Table 1 prompt for a presentation (Response 1 is whatever sits in slot 1)."""
    return build_prompt(presentation.item.prompt, presentation.response1, presentation.response2)


def read_answer(text: str) -> str | None:
    """``"1"``/``"2"``, or ``None`` for an unparseable output (counted, and always scored wrong)."""
    return parse_output(text).answer
