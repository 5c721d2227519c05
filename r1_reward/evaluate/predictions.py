"""Append-only JSONL of judged presentations: what makes ``run`` resumable and ``score`` judge-free.

Line 1 is a header (benchmark, judge, order, samples, seed, and ``data``: a fingerprint of the benchmark items
judged); each later line is one presentation, keyed by item key and slot, with its gold verdict, category and the
judge's samples, or, for a presentation that could not be judged, ``"skipped"``: the reason, and no samples. A crash
can leave at most one torn last line; it is cut off on reopen, so a rerun judges exactly the presentations that have
no complete judged line yet (a skipped one is tried again; a new line for it supersedes the old). A rerun on other
data (another ``--data``, ``--limit`` or an edited file) is refused: its keys could match the old lines and report the
old file's metrics for the new one.
"""

import hashlib
import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

from r1_reward.evaluate.items import BenchItem, InputError, Presentation
from r1_reward.evaluate.models.base import Sample, Skip
from r1_reward.files import cut_torn_tail

# Header fields that must match for a rerun to append to an existing file.
RESUME_FIELDS: tuple[str, ...] = ("benchmark", "judge", "model", "order", "samples", "seed", "data")


def fingerprint(items: list[BenchItem]) -> str:
    """SHA-256 (first 16 hex digits) of every item's key, texts, category and media, in order."""
    digest = hashlib.sha256()
    for item in items:
        fields = [item.key, item.id, item.prompt, item.chosen, item.rejected, item.category, list(item.media)]
        digest.update(json.dumps([*fields, item.media_kind, item.extra], sort_keys=True).encode("utf-8") + b"\n")
    return digest.hexdigest()[:16]


def record(presentation: Presentation, samples: list[Sample] | Skip) -> dict[str, Any]:
    """One line of the file: everything ``score`` needs, so it never reloads the benchmark."""
    item = presentation.item
    line = {
        "key": item.key,
        "id": item.id,
        "slot": presentation.slot,
        "gold": presentation.gold,
        "category": item.category,
        **({"category_paper": item.extra["category_paper"]} if "category_paper" in item.extra else {}),
    }
    if isinstance(samples, Skip):
        return {**line, "skipped": samples.reason, "samples": []}
    return {**line, "samples": [{k: v for k, v in asdict(s).items() if v is not None} for s in samples]}


def is_skipped(rec: dict[str, Any]) -> bool:
    """Whether a record is a presentation that could not be judged."""
    return "skipped" in rec


def read_predictions(path: str | Path) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Header and records of a predictions file (complete lines only), one per presentation: its first judged line,
    else its last skipped line."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"predictions file {path} does not exist: run 'python -m r1_reward.evaluate run' first")
    lines = path.read_text(encoding="utf-8").split("\n")[:-1]  # the last piece is empty or a torn line
    entries = [_parse_line(path, number, line) for number, line in enumerate(lines, 1) if line.strip()]
    if not entries or "header" not in entries[0]:
        raise InputError(f"{path} has no header line: it was not written by 'r1_reward.evaluate run'")
    records: dict[tuple[str, str], dict[str, Any]] = {}
    for rec in entries[1:]:
        at = (rec["key"], rec["slot"])
        if at not in records or is_skipped(records[at]):
            records[at] = rec
    return entries[0]["header"], list(records.values())


def _parse_line(path: Path, number: int, line: str) -> dict[str, Any]:
    try:
        return json.loads(line)
    except json.JSONDecodeError as error:
        raise InputError(f"{path}:{number}: invalid JSON ({error.msg}); was it edited? delete that line") from error


class PredictionStore:
    """Opens (or resumes) a predictions file and appends judged presentations batch by batch."""

    def __init__(self, path: str | Path, header: dict[str, Any]):
        self.path = Path(path)
        self.done: set[tuple[str, str]] = set()
        if self.path.is_file() and self.path.stat().st_size:
            cut_torn_tail(self.path)
            old_header, records = read_predictions(self.path)
            self._check_header(old_header, header)
            self.done = {(r["key"], r["slot"]) for r in records if not is_skipped(r)}
        else:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.path.write_text(json.dumps({"header": header}) + "\n", encoding="utf-8")

    def _check_header(self, old: dict[str, Any], new: dict[str, Any]) -> None:
        diff = [
            f"{name}: {old.get(name)!r} -> {new.get(name)!r}"
            for name in RESUME_FIELDS
            if old.get(name) != new.get(name)
        ]
        if old.get("data") != new.get("data"):
            diff.append("the benchmark data differs from the one these predictions were made on (another --data or"
                        " --limit, or the file changed)")  # fmt: skip
            diff = [d for d in diff if not d.startswith("data:")]
        if diff:
            raise InputError(
                f"{self.path} was written with other settings ({'; '.join(diff)}): "
                "rerun with the same settings to resume, or pass a new --predictions path"
            )

    def pending(self, batch: list[Presentation]) -> list[Presentation]:
        """Presentations without a complete judged line yet (skipped ones are tried again)."""
        return [p for p in batch if (p.item.key, p.slot) not in self.done]

    def append(self, batch: list[Presentation], samples: list[list[Sample] | Skip]) -> None:
        """Write one batch in a single write, flushed, so a crash tears at most the last line."""
        lines = "".join(json.dumps(record(p, s)) + "\n" for p, s in zip(batch, samples))
        with self.path.open("a", encoding="utf-8") as handle:
            handle.write(lines)
            handle.flush()
        self.done.update((p.item.key, p.slot) for p, s in zip(batch, samples) if not isinstance(s, Skip))
