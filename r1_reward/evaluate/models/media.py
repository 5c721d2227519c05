"""Lazy media for model judges: benchmark items keep paths; pixels are read only when a model judge needs them.

Image items hold one image path; MM-RLHF video items hold a folder of frames (read in name order). With a media root
(``--media-root``) every path must resolve inside it, as ``convert`` confines images to ``--image-root``: ``..``,
an absolute path elsewhere or a link out is refused, so a benchmark row cannot make the judge read (and send to an
endpoint) any other file. Before judging starts, every file a judge will read is opened and decoded completely, so
a missing, escaping or corrupt file stops the run up front with an error that names it.
"""

import warnings
from pathlib import Path

from PIL import Image
from tqdm import tqdm

from r1_reward.evaluate.items import BenchItem, InputError

FRAME_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp", ".bmp")
MAX_FRAMES = 8


def _contained(root: Path, rel: str, item: BenchItem) -> Path:
    """``root / rel`` resolved; ``InputError`` if it leaves ``root`` or cannot be resolved."""
    try:
        path = (root / rel).resolve()
    except (OSError, RuntimeError, ValueError) as error:  # NUL byte, name too long, symlink loop
        raise InputError(f"{item.key}: media path {rel!r} cannot be resolved ({error})") from error
    if not path.is_relative_to(root):
        raise InputError(
            f"{item.key}: media path {rel!r} resolves to {path}, outside --media-root {root}: refused "
            "(fix the row, or point --media-root at a folder that holds it)"
        )
    return path


def resolve(item: BenchItem, media_root: str | Path | None) -> list[Path]:
    """Absolute media paths of an item; raises naming the first missing or escaping file and how to point at it."""
    if media_root:
        root = Path(media_root).resolve()
        paths = [_contained(root, rel, item) for rel in item.media]
    else:
        paths = [Path(rel) for rel in item.media]
    for path in paths:
        if not path.exists():
            raise FileNotFoundError(
                f"{item.key}: media file {path} does not exist: download the benchmark's images and pass their folder "
                "as --media-root (baseline judges 'random', 'first', 'longer' need no images)"
            )
    return paths


def frame_paths(item: BenchItem, media_root: str | Path | None, max_frames: int = MAX_FRAMES) -> list[Path]:
    """The files a judge reads for an item: its image, or up to ``max_frames`` evenly spaced frames of its video."""
    frames: list[Path] = []
    for path in resolve(item, media_root):
        if path.is_dir():
            files = sorted(p for p in path.iterdir() if p.suffix.lower() in FRAME_SUFFIXES)
            step = max(1, len(files) // max_frames)
            frames += files[::step][:max_frames]
        else:
            frames.append(path)
    return frames


def check_decodes(item: BenchItem, path: Path) -> None:
    """Decode ``path`` completely; ``InputError`` naming it if it is not a whole image (a decompression bomb too)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path) as image:
                image.draft(image.mode, (1, 1))  # JPEG: all data still decoded, at 1/8 scale (2-4x faster)
                image.load()
    except Exception as error:  # Pillow raises OSError, SyntaxError, ValueError, zlib.error, … on broken data
        raise InputError(
            f"{item.key}: media file {path} cannot be decoded ({type(error).__name__}: {error}): "
            "replace the file or drop the row"
        ) from error


def check_all(items: list[BenchItem], media_root: str | Path | None, max_frames: int = MAX_FRAMES) -> None:
    """Fail fast, before judging, if any item's media is missing, outside the media root or does not decode."""
    unique = list({item.key: item for item in items}.values())
    for item in tqdm(unique, desc="checking media", unit="item", disable=len(unique) < 100):
        for path in frame_paths(item, media_root, max_frames):
            check_decodes(item, path)


def load_frames(item: BenchItem, media_root: str | Path | None, max_frames: int = MAX_FRAMES) -> list[Image.Image]:
    """RGB images of an item: its image, or up to ``max_frames`` evenly spaced frames of its video folder."""
    return [Image.open(p).convert("RGB") for p in frame_paths(item, media_root, max_frames)]
