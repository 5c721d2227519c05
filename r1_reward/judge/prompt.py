"""Our consistency-judge prompt and the strict parser of its one-word verdict (model-based backends).

The question is the one appendix C.3 describes: does the conclusion of the reasoning ("1 is better" /
"2 is better") match the final answer? The judge must reply ``yes`` or ``no``; anything else is not a verdict.
Only the tail of a long reasoning is sent (the conclusion sits at the end), so the prompt fits any judge context.
"""

from r1_reward.judge.base import JudgeRequest

JUDGE_TEMPLATE = (
    "A model compared two responses, wrote its reasoning, then gave a final answer "
    "(1 = Response 1 is better, 2 = Response 2 is better).\n"
    "Reasoning:\n{think}\n"
    "Final answer: {answer}\n"
    "Does the conclusion of the reasoning agree with the final answer? Reply with one word: yes or no."
)
VERDICTS = {"yes": True, "no": False}


def judge_prompt(request: JudgeRequest, max_reasoning_chars: int) -> str:
    """The user message for one check; the reasoning is cut to its last ``max_reasoning_chars`` characters."""
    think = request.think.strip()
    if len(think) > max_reasoning_chars:
        think = "…" + think[-max_reasoning_chars:]
    return JUDGE_TEMPLATE.format(think=think, answer=request.answer)


def parse_verdict(reply: str) -> bool | None:
    """``yes`` → True, ``no`` → False (case and one trailing full stop ignored); anything else → None."""
    word = reply.strip().lower()
    if word.endswith("."):
        word = word[:-1]
    return VERDICTS.get(word)
