"""The toy task's held-out parquet (``r1_reward.data.toy``) as benchmark items, for CPU runs of a model judge.

Toy rows carry the picture as PNG bytes and the two responses in prompt order with the right one's slot; items
need image files, so the pictures are written into a folder beside the parquet (``<stem>_images/``), each named after
the SHA-256 of its bytes (and rewritten if the file there holds other bytes). A file is never reused for other
bytes: a parquet replaced by another (another seed) gets its own files, and since the resume check hashes the media
paths, it covers the pictures too.
"""

import hashlib
from pathlib import Path

import pandas as pd

from r1_reward.evaluate.items import BenchItem, InputError

COLUMNS = ("extra_info", "images")
INFO_FIELDS = ("question", "answer1", "answer2", "label", "kind")


def image_file(folder: Path, data: bytes) -> Path:
    """``folder/<sha256 of data, 16 hex>.png``, written (atomically) unless it is already there with these bytes."""
    path = folder / f"{hashlib.sha256(data).hexdigest()[:16]}.png"
    if not path.is_file() or path.read_bytes() != data:
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_bytes(data)
        tmp.replace(path)
    return path


def _read(path: Path, limit: int | None) -> pd.DataFrame:
    """The parquet's rows, after checking it has the toy columns (a clean error naming the file otherwise)."""
    if not path.is_file():
        raise FileNotFoundError(
            f"toy file {path} does not exist: write one with 'python -m r1_reward.data.toy --out DIR'"
        )
    try:
        frame = pd.read_parquet(path)[:limit]
    except Exception as error:  # pyarrow raises several types for a file that is not parquet
        raise InputError(f"{path}: not a readable parquet file ({type(error).__name__}: {error})") from error
    missing = [name for name in COLUMNS if name not in frame.columns]
    if missing:
        raise InputError(
            f"{path} has no column {', '.join(map(repr, missing))} (columns: {list(frame.columns)}): it is not a "
            "toy parquet; write one with 'python -m r1_reward.data.toy --out DIR', or pick the right --benchmark"
        )
    return frame


def load_toy(path: str | Path, limit: int | None = None) -> list[BenchItem]:
    """Items of a toy RL parquet (``extra_info`` holds question, answer1, answer2, label and kind)."""
    path = Path(path)
    frame = _read(path, limit)
    images = path.with_name(f"{path.stem}_images")
    images.mkdir(exist_ok=True)
    items = []
    for row, (info, pictures) in enumerate(zip(frame["extra_info"], frame["images"])):
        if not isinstance(info, dict) or any(name not in info for name in INFO_FIELDS) or not len(pictures):
            raise InputError(f"{path} row {row + 1}: extra_info needs {', '.join(INFO_FIELDS)} and one image")
        image = image_file(images, pictures[0]["bytes"])
        right, wrong = (
            (info["answer1"], info["answer2"]) if info["label"] == "1" else (info["answer2"], info["answer1"])
        )
        items.append(BenchItem(
            key=f"toy-{row}#0", id=f"toy-{row}", prompt=info["question"], chosen=right, rejected=wrong,
            category=info["kind"], media=(str(image.resolve()),), media_kind="image",
        ))  # fmt: skip
    return items
