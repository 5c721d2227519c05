"""The annotation journal: one JSON line per finished row, appended and fsync'ed as each row finishes.

It is what makes ``annotate`` resumable: a restart skips every row already in the journal, so a crash loses
at most the rows in flight and no row is recorded twice. A line cut short by a crash is dropped on load.
"""

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

from r1_reward.files import cut_torn_tail


@dataclass
class Annotation:
    """The annotator's outcome for one input row (``row`` = its 0-based position in the input parquet).

    ``attempts`` is how many calls it took to get the ground truth (§3.2), or the number made when it never
    did; ``response`` is the kept think-and-answer text when ``correct``; ``answers`` the parsed choice per call.
    """

    row: int
    attempts: int
    correct: bool
    response: str | None
    answers: list


def load_journal(path: Path) -> dict[int, int]:
    """Map each finished row to its line's byte offset; drops a torn last line so appends start clean."""
    offsets: dict[int, int] = {}
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
            if entry["row"] in offsets:
                raise ValueError(f"{path}: row {entry['row']} recorded twice; the journal was edited by hand")
            offsets[entry["row"]] = start
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
