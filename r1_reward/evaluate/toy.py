"""The toy task's held-out parquet (``r1_reward.data.toy``) as benchmark items, for CPU runs of a model judge.

Toy rows carry the picture as PNG bytes and the two responses in prompt order with the right one's slot; items
need image files, so the pictures are written once into a folder beside the parquet (``<stem>_images/``).
"""

from pathlib import Path

import pandas as pd

from r1_reward.evaluate.items import BenchItem


def load_toy(path: str | Path, limit: int | None = None) -> list[BenchItem]:
    """Items of a toy RL parquet (``extra_info`` holds question, answer1, answer2, label and kind)."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(
            f"toy file {path} does not exist: write one with 'python -m r1_reward.data.toy --out DIR'"
        )
    frame = pd.read_parquet(path)[:limit]
    images = path.with_name(f"{path.stem}_images")
    images.mkdir(exist_ok=True)
    items = []
    for row, (info, pictures) in enumerate(zip(frame["extra_info"], frame["images"])):
        image = images / f"{row}.png"
        if not image.exists():
            image.write_bytes(pictures[0]["bytes"])
        right, wrong = (
            (info["answer1"], info["answer2"]) if info["label"] == "1" else (info["answer2"], info["answer1"])
        )
        items.append(BenchItem(
            key=f"toy-{row}#0", id=f"toy-{row}", prompt=info["question"], chosen=right, rejected=wrong,
            category=info["kind"], media=(str(image.resolve()),), media_kind="image",
        ))  # fmt: skip
    return items
