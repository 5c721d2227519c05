"""Lazy media for model judges: benchmark items keep paths; pixels are read only when a model judge needs them.

Image items hold one image path; MM-RLHF video items hold a folder of frames (read in name order).
A missing file stops the run with an error that names it, before any judging starts.
"""

from pathlib import Path

from PIL import Image

from r1_reward.evaluate.items import BenchItem

FRAME_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp", ".bmp")


def resolve(item: BenchItem, media_root: str | Path | None) -> list[Path]:
    """Absolute media paths of an item; raises naming the first missing file and how to point at it."""
    root = Path(media_root) if media_root else Path(".")
    paths = [root / rel for rel in item.media]
    for path in paths:
        if not path.exists():
            raise FileNotFoundError(
                f"{item.key}: media file {path} does not exist: download the benchmark's images and pass their folder "
                "as --media-root (baseline judges 'random', 'first', 'longer' need no images)"
            )
    return paths


def check_all(items: list[BenchItem], media_root: str | Path | None) -> None:
    """Fail fast, before judging, if any item's media is missing."""
    for item in items:
        resolve(item, media_root)


def load_frames(item: BenchItem, media_root: str | Path | None, max_frames: int = 8) -> list[Image.Image]:
    """RGB images of an item: its image, or up to ``max_frames`` evenly spaced frames of its video folder."""
    frames: list[Path] = []
    for path in resolve(item, media_root):
        if path.is_dir():
            files = sorted(p for p in path.iterdir() if p.suffix.lower() in FRAME_SUFFIXES)
            step = max(1, len(files) // max_frames)
            frames += files[::step][:max_frames]
        else:
            frames.append(path)
    return [Image.open(p).convert("RGB") for p in frames]

