"""The annotation journal: one JSON line per finished row, appended and fsync'ed as each row finishes.

It is what makes ``annotate`` resumable: a restart skips every row already in the journal, so a crash loses
at most the rows in flight and no row is recorded twice. Rows are keyed by their content (prompt with both
responses, image bytes, ground truth), not their position: after the input is reconverted (another ``--seed``
swaps answers, another source mix reorders rows) a changed row no longer matches its old entry and is annotated
again, so an SFT target can never contradict its row's label. A line cut short by a crash is dropped on load.
"""

import hashlib
import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

from r1_reward.files import cut_torn_tail


@dataclass
class Annotation:
    """The annotator's outcome for one input row.

    ``key`` is the row's content key (:func:`row_key`); ``row`` its 0-based position in the input parquet when it
    was annotated (for reading the journal; lookups use ``key``). ``attempts`` is how many calls it took to get
    the ground truth (§3.2), or the number made when it never did; ``response`` is the kept think-and-answer text
    when ``correct``; ``answers`` the parsed choice per call.
    """

    row: int
    attempts: int
    correct: bool
    response: str | None
    answers: list
    key: str


def row_key(record: dict) -> str:
    """Content key of an RL parquet row: its prompt (question and both responses in order), images and label."""
    digest = hashlib.sha256()
    digest.update(json.dumps(record["prompt"], ensure_ascii=False, sort_keys=True).encode("utf-8"))
    for image in record["images"] or []:
        digest.update(hashlib.sha256(image["bytes"]).digest())
    digest.update(b"\0ground_truth=" + str(record["reward_model"]["ground_truth"]).encode("utf-8"))
    return digest.hexdigest()[:32]


def load_journal(path: Path) -> dict[str, int]:
    """Map each finished row's content key to its line's byte offset; drops a torn last line so appends start clean."""
    offsets: dict[str, int] = {}
    if not path.exists():
        return offsets
    cut_torn_tail(path)
    start = 0
    with path.open("rb") as handle:
        for number, line in enumerate(iter(handle.readline, b""), start=1):
            try:
                entry = json.loads(line)
            except (json.JSONDecodeError, UnicodeDecodeError) as error:
                raise ValueError(f"{path} line {number} is not a journal entry ({error}): the journal was edited "
                                 "by hand; delete that line (its row is annotated again)") from error  # fmt: skip
            if "key" not in entry:
                raise ValueError(
                    f"{path} keys rows by position (written before rows were keyed by content), so it cannot tell"
                    " which rows changed since: move it away and rerun annotate to redo every row"
                )
            if entry["key"] in offsets:
                raise ValueError(f"{path}: row key {entry['key']} recorded twice; the journal was edited by hand")
            offsets[entry["key"]] = start
            start += len(line)
    return offsets


def read_entry(handle, offset: int) -> Annotation:
    """The annotation stored at ``offset`` of an open journal file."""
    handle.seek(offset)
    return Annotation(**json.loads(handle.readline()))


class JournalWriter:
    """Appends annotations durably (flush + fsync per row)."""

    def __init__(self, path: Path) -> None:
        self._handle = path.open("ab")

    def add(self, annotation: Annotation) -> None:
        self._handle.write(json.dumps(asdict(annotation), ensure_ascii=False).encode("utf-8") + b"\n")
        self._handle.flush()
        os.fsync(self._handle.fileno())

    def close(self) -> None:
        self._handle.close()
