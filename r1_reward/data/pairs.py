"""One preference pair as every source format reduces it, and the error that sends a row to quarantine."""

from dataclasses import dataclass


class RowError(ValueError):
    """A row that cannot become a training pair; its message ``"<kind>: <detail>"`` is the quarantine reason."""


@dataclass(frozen=True)
class Pair:
    """A question about one image with a preferred (``chosen``) and a dispreferred (``rejected``) response.

    ``image`` is a path relative to ``--image-root`` or the encoded bytes themselves (parquet sources
    that embed images). ``original_label`` is the position (1 or 2) the chosen response had in the source.
    """

    source_id: str
    question: str
    chosen: str
    rejected: str
    image: str | bytes
    original_label: int = 1


def clean_text(value: object, field: str) -> str:
    """A non-empty stripped string, or a ``RowError`` naming the field."""
    if not isinstance(value, str):
        raise RowError(f"not a string: {field} is {type(value).__name__}")
    text = value.strip()
    if not text:
        raise RowError(f"empty text: {field}")
    return text


def make_pair(
    source_id: object, question: object, chosen: object, rejected: object, image: object, original_label: int = 1
) -> Pair:
    """Validate the texts (non-empty, responses differ) and the image reference, and build a ``Pair``."""
    pair_question = clean_text(question, "question")
    pair_chosen = clean_text(chosen, "chosen response")
    pair_rejected = clean_text(rejected, "rejected response")
    if pair_chosen == pair_rejected:
        raise RowError("identical responses: the pair carries no preference")
    if isinstance(image, dict) and isinstance(image.get("bytes"), bytes):
        image = image["bytes"]
    elif isinstance(image, dict) and isinstance(image.get("path"), str):
        image = image["path"]
    if not isinstance(image, str | bytes) or not image:
        raise RowError(f"missing field: image reference (got {type(image).__name__})")
    return Pair(str(source_id), pair_question, pair_chosen, pair_rejected, image, original_label)
