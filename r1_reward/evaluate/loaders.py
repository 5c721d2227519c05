"""Loaders for the three reward benchmarks in their published formats, into :class:`BenchItem` lists.

- ``vl_rewardbench``: the authors' jsonl (``id, prompt, chosen, rejected, image``) or the Hugging Face rows
  (``id, query, response[2], human_ranking[2], image``) as jsonl/json/parquet.
- ``mm_rlhf``: MM-RLHF-RewardBench jsonl (``id, prompt, chosen, rejected`` and ``image`` or a ``video`` frame folder).
- ``multimodal_rewardbench``: Multimodal RewardBench ``all_data.json`` (``ID, Text, Image, Output1, Output2, Better,
  Category``).
- ``toy``: the held-out parquet of the CPU toy task (``r1_reward.data.toy``), see ``evaluate.toy``.
Only media *paths* are kept; judges that need pixels open them later (see ``models.media``). Any row that cannot be
parsed stops the load with an ``InputError`` naming the file and its line (jsonl) or row (json, parquet).
"""

from collections.abc import Callable
from pathlib import Path
from typing import Any

from r1_reward.data.sources import read_records
from r1_reward.evaluate.items import BenchItem, InputError, stable_keys

BENCHMARKS: tuple[str, ...] = ("vl_rewardbench", "mm_rlhf", "multimodal_rewardbench", "toy")

# VL-RewardBench's official groups, by id prefix compared case-insensitively (the benchmark's own grouping).
_VL_OFFICIAL_PREFIXES = (
    ("hallucination_pair", "hallucination"),
    ("rlaif", "hallucination"),
    ("rlhf", "hallucination"),
    ("mathverse", "reasoning"),
    ("mmmu", "reasoning"),
)
# Multimodal RewardBench's published category names, shortened to the paper's Table 4 columns.
_MMRB_CATEGORIES = {
    "open_generation/correctness_task": "general/correctness",
    "open_generation/preference_task": "general/preference",
    "knowledge": "knowledge",
    "vqa": "vqa",
}


def vl_official_category(item_id: str) -> str:
    """VL-RewardBench's official group (general / hallucination / reasoning) from the id prefix, any case."""
    lowered = item_id.lower()
    for prefix, group in _VL_OFFICIAL_PREFIXES:
        if lowered.startswith(prefix):
            return group
    return "general"


def vl_paper_category(item_id: str) -> str:
    """The R1-Reward authors' grouping: case-sensitive substrings, so ``RLAIF-V``/``RLHF-V`` ids fall into general.

    This is the grouping the paper's Table 3 per-category numbers fit (484 general / 448 hallucination / 318
    reasoning on the released file), kept so our numbers can be set beside theirs.
    """
    if "mmmu" in item_id or "mathverse" in item_id:
        return "reasoning"
    if "hallucination" in item_id or "rlhf" in item_id or "rlaif" in item_id:
        return "hallucination"
    return "general"


def mmrb_category(category: str, item_id: str) -> str:
    """Multimodal RewardBench category; safety split by id into bias (PAIRS)/toxicity, reasoning into math/coding."""
    if category == "safety":
        return "safety/bias" if item_id.lower().startswith("pairs") else "safety/toxicity"
    if category == "reasoning":
        return "reasoning/math" if item_id.lower().startswith("math") else "reasoning/coding"
    return _MMRB_CATEGORIES.get(category, category)


def located_rows(path: str | Path) -> list[tuple[str, Any]]:
    """``(where, row)`` pairs, ``where`` being ``"<file>:<line>"`` (jsonl) or ``"<file> row <n>"`` (json, parquet)."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"benchmark file {path} does not exist: pass --data with the benchmark's jsonl/json")
    separator = ":" if path.suffix == ".jsonl" else " row "
    try:
        records = list(read_records(path))
    except ValueError as error:  # unreadable as a whole: bad suffix, a damaged JSON array or parquet file
        raise InputError(str(error)) from error
    rows = []
    for record in records:
        where = f"{path}{separator}{record.line}"
        if record.error is not None:
            raise InputError(f"{where}: {record.error}")
        rows.append((where, record.record))
    return rows


def _field(row: dict[str, Any], name: str, where: str) -> Any:
    if not isinstance(row, dict):
        raise InputError(f"{where}: a row must be a JSON object, got {type(row).__name__}")
    if name not in row:
        raise InputError(f"{where}: field {name!r} is missing (fields present: {sorted(row)}); is --benchmark right?")
    return row[name]


def _media_path(value: Any) -> str:
    """A media path from a string or a Hugging Face image dict (``{"path": ..., "bytes": ...}``)."""
    if isinstance(value, dict) and value.get("path"):
        return str(value["path"])
    if isinstance(value, str):
        return value
    raise ValueError(f"image {str(value)[:80]!r} is not a path: export the benchmark's images to files first")


def _vl_row(row: dict[str, Any], key: str) -> BenchItem:
    item_id = str(_field(row, "id", key))
    if "response" in row:  # Hugging Face rows: rank 0 is the human-preferred response
        responses, ranking = list(row["response"]), list(_field(row, "human_ranking", key))
        best = ranking.index(min(ranking))
        chosen, rejected, prompt = responses[best], responses[1 - best], str(_field(row, "query", key))
    else:
        chosen, rejected = _field(row, "chosen", key), _field(row, "rejected", key)
        prompt = str(_field(row, "prompt", key))
    return BenchItem(
        key=key,
        id=item_id,
        prompt=prompt,
        chosen=str(chosen),
        rejected=str(rejected),
        category=vl_official_category(item_id),
        media=(_media_path(_field(row, "image", key)),),
        media_kind="image",
        extra={"category_paper": vl_paper_category(item_id)},
    )


def _mm_rlhf_row(row: dict[str, Any], key: str) -> BenchItem:
    prompt, chosen, rejected = (str(_field(row, name, key)) for name in ("prompt", "chosen", "rejected"))
    kind = "video" if row.get("video") else "image"
    media = _media_path(_field(row, kind, key))
    return BenchItem(
        key=key,
        id=str(row["id"]),
        prompt=prompt,
        chosen=chosen,
        rejected=rejected,
        category=media.strip("/").split("/")[0].lower(),
        media=(media,),
        media_kind=kind,
    )


def _mmrb_row(row: dict[str, Any], key: str) -> BenchItem:
    better = _field(row, "Better", key)
    if better not in ("Output1", "Output2"):
        raise ValueError(f"{key}: Better={better!r}, expected 'Output1' or 'Output2'")
    outputs = (str(_field(row, "Output1", key)), str(_field(row, "Output2", key)))
    chosen, rejected = outputs if better == "Output1" else outputs[::-1]
    category = row.get("Category") or row.get("Meta", {}).get("Category")
    if category is None:
        raise KeyError(f"{key}: no 'Category' (or 'Meta.Category') field: use the released all_data.json")
    item_id = str(row["ID"])
    return BenchItem(
        key=key,
        id=item_id,
        prompt=str(_field(row, "Text", key)),
        chosen=chosen,
        rejected=rejected,
        category=mmrb_category(str(category), item_id),
        media=(_media_path(_field(row, "Image", key)),),
        media_kind="image",
    )


_ROW_PARSERS: dict[str, tuple[str, Callable[[dict[str, Any], str], BenchItem]]] = {
    "vl_rewardbench": ("id", _vl_row),
    "mm_rlhf": ("id", _mm_rlhf_row),
    "multimodal_rewardbench": ("ID", _mmrb_row),
}


def load_benchmark(benchmark: str, path: str | Path, limit: int | None = None) -> list[BenchItem]:
    """Load a benchmark file into items with stable keys (file order; ``limit`` keeps the first rows)."""
    if benchmark == "toy":
        from r1_reward.evaluate.toy import load_toy

        items = load_toy(path, limit)
    elif benchmark not in _ROW_PARSERS:
        raise ValueError(f"benchmark {benchmark!r} is unknown: use one of {', '.join(BENCHMARKS)}")
    else:
        id_field, parse = _ROW_PARSERS[benchmark]
        rows = located_rows(path)[:limit]
        keys = stable_keys(str(_field(row, id_field, where)) for where, row in rows)
        items = [_parse_at(parse, row, key, where) for (where, row), key in zip(rows, keys)]
    if not items:
        raise InputError(f"{path} holds no rows{' (--limit ' + str(limit) + ')' if limit is not None else ''}: "
                         "nothing to evaluate; check --data")  # fmt: skip
    return items


def _parse_at(parse: Callable[[dict[str, Any], str], BenchItem], row: Any, key: str, where: str) -> BenchItem:
    """``parse(row, key)``, with any error it raises naming the row's file and line."""
    try:
        return parse(row, key)
    except InputError as error:
        raise InputError(f"{where}: {error}") from error
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        detail = error.args[0] if isinstance(error, KeyError) and error.args else error
        raise InputError(f"{where}: {key}: {type(error).__name__}: {detail}") from error
