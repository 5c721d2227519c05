"""Publishing ``convert``'s two outputs together: the RL parquet and its quarantine file, named by a manifest.

Both are written beside the output as ``*.tmp``. :func:`publish_pair` removes the old ``<output>.manifest.json``,
renames the quarantine file and then the parquet into place, and writes the new manifest last (bytes, SHA-256 and
rows of each file). So a pair on disk is complete exactly when its manifest is there and matches it
(:func:`published_pair`): a run killed while writing leaves the previous pair and manifest untouched, one killed
between the renames leaves no manifest (the mixed pair is never presented as one), and the next run removes the
``*.tmp`` files a killed run left (:func:`leftover_tmp_files`).
"""

import hashlib
import json
import os
from collections.abc import Callable
from pathlib import Path

MANIFEST_SUFFIX = ".manifest.json"
REJECTED_SUFFIX = ".rejected.jsonl"


def leftover_tmp_files(output: Path) -> list[Path]:
    """The ``*.tmp`` files a killed run on ``output`` leaves behind (parquet, quarantine, manifest)."""
    names = (output.name, output.name + REJECTED_SUFFIX, output.name + MANIFEST_SUFFIX)
    return [path for name in names if (path := output.with_name(name + ".tmp")).exists()]


def _file_facts(path: Path) -> dict:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return {"name": path.name, "bytes": path.stat().st_size, "sha256": digest.hexdigest()}


def publish_pair(
    output: Path, rejected_tmp: Path, rejected: Path, commit_parquet: Callable[[], int], rejected_rows: int
) -> dict:
    """Rename the quarantine file, then the parquet (``commit_parquet()``, which returns its rows) into place, and
    write the manifest naming both; returns the manifest. The old manifest goes first (see the module docstring)."""
    manifest = output.with_name(output.name + MANIFEST_SUFFIX)
    manifest.unlink(missing_ok=True)
    os.replace(rejected_tmp, rejected)
    rows = commit_parquet()
    pair = {
        "parquet": {**_file_facts(output), "rows": rows},
        "rejected": {**_file_facts(rejected), "rows": rejected_rows},
    }
    tmp = manifest.with_name(manifest.name + ".tmp")
    tmp.write_text(json.dumps(pair, indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, manifest)
    return pair


def published_pair(output: str | Path) -> dict | None:
    """The manifest of ``output`` if the parquet and quarantine file beside it are the pair it names, else None
    (no manifest: a publish was interrupted, or the files predate manifests; or a file changed since)."""
    output = Path(output)
    manifest = output.with_name(output.name + MANIFEST_SUFFIX)
    if not manifest.is_file():
        return None
    pair = json.loads(manifest.read_text(encoding="utf-8"))
    files = {"parquet": output, "rejected": output.with_name(output.name + REJECTED_SUFFIX)}
    for role, path in files.items():
        if not path.is_file() or {**_file_facts(path), "rows": pair[role]["rows"]} != pair[role]:
            return None
    return pair
