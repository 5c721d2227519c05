"""Source formats: each turns one source record into a ``Pair`` or raises ``RowError`` with the reason.

Field names follow the published releases (R1-Reward-RL, RLAIF-V / MM-RLHF pairs, VLFeedback, POVID,
WildVision-Battle); the fixtures in tests/data/ are written from those schemas.
"""

import json
import re
from collections.abc import Callable

from r1_reward.data.choice import parse_choice
from r1_reward.data.pairs import Pair, RowError, make_pair

Adapter = Callable[[dict, int], Pair]

RESPONSES = re.compile(
    r"\[Response 1\]:(?P<a1>.*?);?\s*(?:#+\s*)?\[Response 2\]:(?P<a2>.*?)(?:\s*(?:#+\s*)?\**\s*Output Format|\Z)",
    re.DOTALL,
)
QUESTION = re.compile(r"\[Question\]:(?P<q>.*?);?\s*(?:#+\s*)?\[Response 1\]:", re.DOTALL)


def field(record: dict, *names: str) -> object:
    """The first of ``names`` present in ``record``; ``RowError`` naming them all otherwise."""
    for name in names:
        if record.get(name) is not None:
            return record[name]
    raise RowError(f"missing field: {' / '.join(names)}")


def record_id(record: dict, line: int, *names: str) -> str:
    for name in names:
        if record.get(name) is not None:
            return str(record[name])
    return f"line-{line}"


def r1_user_parts(record: dict) -> tuple[str, str]:
    """The prompt text and the image path inside an R1-Reward-RL ``message`` (a JSON-encoded chat)."""
    message = field(record, "message")
    try:
        chat = json.loads(message) if isinstance(message, str) else message
        content = next(turn["content"] for turn in chat if turn["role"] == "user")
    except (json.JSONDecodeError, TypeError, KeyError, StopIteration) as error:
        raise RowError(f"bad message: not a chat with a user turn ({error})") from error
    texts = [part["text"] for part in content if part.get("type") == "text"]
    images = [part.get("image") or part.get("image_url") for part in content if part.get("type") == "image"]
    if len(images) != 1:
        raise RowError(f"bad message: expected exactly one image, found {len(images)}")
    return "\n".join(texts), images[0]


def r1_reward_rl(record: dict, line: int) -> Pair:
    """The authors' R1-Reward-RL rows: responses are read back out of the prompt text in ``message``."""
    text, image = r1_user_parts(record)
    responses = RESPONSES.search(text)
    if responses is None:
        raise RowError("bad message: the text has no [Response 1]: … [Response 2]: … sections")
    answer = field(record, "answer")
    answer_text = answer[0] if isinstance(answer, list) and answer else answer
    label = parse_choice(answer_text) if isinstance(answer_text, str) else None
    if label is None:
        raise RowError(f"label not 1 or 2: {answer!r}")
    question = record.get("question")
    if not question and (found := QUESTION.search(text)):
        question = found.group("q")
    first, second = responses.group("a1"), responses.group("a2")
    chosen, rejected = (first, second) if label == 1 else (second, first)
    return make_pair(record_id(record, line, "id"), question, chosen, rejected, image, original_label=label)


def pairwise(record: dict, line: int) -> Pair:
    """Generic pairs (RLAIF-V, MM-RLHF): ``question``, ``chosen``, ``rejected``, ``image``, optional ``id``."""
    return make_pair(
        record_id(record, line, "id", "idx"),
        field(record, "question"),
        field(record, "chosen"),
        field(record, "rejected"),
        field(record, "image", "image_path"),
    )


def mean_rating(annotations: object) -> float | None:
    """Mean of the numeric ``Rating`` values of a VLFeedback completion (aspects rated "N/A" are left out)."""
    if not isinstance(annotations, dict):
        return None
    ratings = [aspect.get("Rating") for aspect in annotations.values() if isinstance(aspect, dict)]
    numbers = [float(value) for value in ratings if isinstance(value, int | float | str) and _is_number(value)]
    return sum(numbers) / len(numbers) if numbers else None


def _is_number(value: int | float | str) -> bool:
    try:
        float(value)
    except ValueError:
        return False
    return True


def vlfeedback(record: dict, line: int) -> Pair:
    """VLFeedback (``img_path`` in the JSONL release, ``image`` in parquet copies): the best- against the worst-rated
    completion (mean over aspects); all-tied rows are dropped."""
    completions = field(record, "completions")
    rated = [(mean_rating(c.get("annotations")), c.get("response")) for c in completions if isinstance(c, dict)]
    rated = [(score, response) for score, response in rated if score is not None]
    if len(rated) < 2:
        raise RowError(f"too few rated completions: found {len(rated)}, need 2")
    best = max(rated, key=lambda item: item[0])
    worst = min(rated, key=lambda item: item[0])
    if best[0] == worst[0]:
        raise RowError(f"tie: every completion is rated {best[0]:g}")
    question = field(record, "prompt", "question")
    image = field(record, "image", "img_path", "image_path")
    return make_pair(record_id(record, line, "id"), question, best[1], worst[1], image)


def turn_text(conversation: object, speakers: tuple[str, ...], last: bool) -> object:
    """The first (or last) turn by one of ``speakers`` in a conversation list (``from/value`` or ``role/content``)."""
    if not isinstance(conversation, list):
        raise RowError("bad conversation: not a list of turns")
    turns = [t.get("value", t.get("content")) for t in conversation if t.get("from", t.get("role")) in speakers]
    if not turns:
        raise RowError(f"bad conversation: no {'/'.join(speakers)} turn")
    return turns[-1] if last else turns[0]


def without_placeholder(question: object) -> object:
    return question.replace("<image>", "").strip() if isinstance(question, str) else question


def povid(record: dict, line: int) -> Pair:
    """POVID: the gpt turn of ``conversations`` is preferred to that of ``rejected_conversations``."""
    chosen_turns = field(record, "conversations")
    question = without_placeholder(turn_text(chosen_turns, ("human", "user"), last=False))
    chosen = turn_text(chosen_turns, ("gpt", "assistant"), last=True)
    rejected = turn_text(field(record, "rejected_conversations"), ("gpt", "assistant"), last=True)
    return make_pair(record_id(record, line, "id"), question, chosen, rejected, field(record, "image"))


def wildvision(record: dict, line: int) -> Pair:
    """WildVision-Battle: ``winner`` names model_a or model_b; ties ("tie", "tie (bothbad)") are dropped."""
    winner = field(record, "winner")
    if winner not in ("model_a", "model_b"):
        raise RowError(f"tie or unknown winner: {winner!r} is not model_a or model_b")
    first_turn = turn_text(field(record, "conversation_a"), ("user", "human"), last=False)
    question = record.get("question") or first_turn
    reply_a = turn_text(record["conversation_a"], ("assistant", "gpt"), last=True)
    reply_b = turn_text(field(record, "conversation_b"), ("assistant", "gpt"), last=True)
    chosen, rejected = (reply_a, reply_b) if winner == "model_a" else (reply_b, reply_a)
    identifier = record_id(record, line, "question_id", "id")
    image = field(record, "image", "image_path")
    return make_pair(identifier, without_placeholder(question), chosen, rejected, image)


FORMATS: dict[str, Adapter] = {
    "r1_reward_rl": r1_reward_rl,
    "pairwise": pairwise,
    "vlfeedback": vlfeedback,
    "povid": povid,
    "wildvision": wildvision,
}


def adapter(name: str) -> Adapter:
    if name not in FORMATS:
        raise ValueError(f"unknown format {name!r}: choose one of {', '.join(FORMATS)}")
    return FORMATS[name]
