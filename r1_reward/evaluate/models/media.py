"""Lazy media for model judges: benchmark items keep paths; pixels are read only when a model judge needs them.

Image items hold one image path; MM-RLHF video items hold a folder of frames (read in name order). Every path must
resolve inside the media root (``--media-root``, by default the folder of the benchmark file), as ``convert`` confines
images to ``--image-root``: ``..``, an absolute path elsewhere or a link out is refused, so a benchmark row cannot make
the judge read (and send to an endpoint) any other file; a user widens the root by passing ``--media-root`` explicitly.
Before judging starts, every file a judge will read is opened and decoded completely. An item whose media is missing,
outside the root, not a regular file (a directory, a FIFO) or not decodable raises :class:`MediaError`, which names
the file and its kind of failure; the runner skips that item (or stops, with ``--strict``). Reading the pixels later
(:func:`load_frames`) raises the same error if the file went bad after the check.
"""

import stat
import warnings
from pathlib import Path

from PIL import Image
from tqdm import tqdm

from r1_reward.evaluate.items import BenchItem, InputError, Presentation
from r1_reward.evaluate.models.base import Skip

FRAME_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp", ".bmp")
MAX_FRAMES = 8


class MediaError(InputError):
    """An item's media cannot be read; ``kind`` is one of the media kinds of ``models.base.SKIP_KINDS``."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind

    @property
    def reason(self) -> str:
        """``"<kind>: <message>"``, as recorded for a skipped presentation."""
        return f"{self.kind}: {self}"


def _contained(root: Path, rel: str, item: BenchItem) -> Path:
    """``root / rel`` resolved; ``MediaError`` if it leaves ``root`` or cannot be resolved."""
    try:
        path = (root / rel).resolve()
    except (OSError, RuntimeError, ValueError) as error:  # NUL byte, name too long, symlink loop
        raise MediaError("missing media", f"{item.key}: media path {rel!r} cannot be resolved ({error})") from error
    if not path.is_relative_to(root):
        raise MediaError(
            "media outside --media-root",
            f"{item.key}: media path {rel!r} resolves to {path}, outside --media-root {root}: refused "
            "(fix the row, or point --media-root at a folder that holds it)",
        )
    return path


def _file_type(path: Path) -> str:
    """What a path that exists is, in words (``"a directory"``, ``"a FIFO"``, ...)."""
    mode = path.stat().st_mode
    kinds = ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a FIFO"), (stat.S_ISSOCK, "a socket"),
             (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"))  # fmt: skip
    return next((name for test, name in kinds if test(mode)), "not a regular file")


def _check_type(item: BenchItem, path: Path) -> None:
    """An image must be a regular file, a video a folder of frames; anything else is named, never opened."""
    if not path.exists():
        raise MediaError(
            "missing media",
            f"{item.key}: media file {path} does not exist: download the benchmark's images and pass their folder "
            "as --media-root (baseline judges 'random', 'first', 'longer' need no images)",
        )
    wanted = path.is_dir() if item.media_kind == "video" else path.is_file()
    if not wanted:
        expected = "a folder of frames" if item.media_kind == "video" else "an image file"
        raise MediaError("media not a file", f"{item.key}: media path {path} is {_file_type(path)}, not {expected}")


def resolve(item: BenchItem, media_root: str | Path | None) -> list[Path]:
    """Absolute media paths of an item, each inside ``media_root`` (``None``: as written, relative to the working
    directory; the command line always passes a root). Raises ``MediaError`` naming the first bad path."""
    if media_root:
        root = Path(media_root).resolve()
        paths = [_contained(root, rel, item) for rel in item.media]
    else:
        paths = [Path(rel) for rel in item.media]
    for path in paths:
        _check_type(item, path)
    return paths


def frame_paths(item: BenchItem, media_root: str | Path | None, max_frames: int = MAX_FRAMES) -> list[Path]:
    """The files a judge reads for an item: its image, or up to ``max_frames`` evenly spaced frames of its video."""
    frames: list[Path] = []
    for path in resolve(item, media_root):
        if path.is_dir():
            files = sorted(p for p in path.iterdir() if p.suffix.lower() in FRAME_SUFFIXES and p.is_file())
            if not files:
                raise MediaError("missing media", f"{item.key}: video folder {path} holds no frame ({FRAME_SUFFIXES})")
            step = max(1, len(files) // max_frames)
            frames += files[::step][:max_frames]
        else:
            frames.append(path)
    return frames


def _decode(item: BenchItem, path: Path) -> Image.Image:
    """``path`` decoded completely as RGB; ``MediaError`` naming it if it is not a whole image (a bomb too)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path) as image:
                return image.convert("RGB")
    except FileNotFoundError as error:  # removed after the check
        raise MediaError("missing media", f"{item.key}: media file {path} disappeared ({error})") from error
    except Exception as error:  # Pillow raises OSError, SyntaxError, ValueError, zlib.error, … on broken data
        raise corrupt(item, path, error) from error


def corrupt(item: BenchItem, path: Path, error: Exception) -> MediaError:
    """The skip reason for a media file Pillow cannot decode."""
    return MediaError(
        "corrupt media",
        f"{item.key}: media file {path} cannot be decoded ({type(error).__name__}: {error}): "
        "replace the file or drop the row",
    )


def check_decodes(item: BenchItem, path: Path) -> None:
    """Decode ``path`` completely (a JPEG in draft mode: all data read, 2-4x faster); ``MediaError`` if broken."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path) as image:
                image.draft(image.mode, (1, 1))  # JPEG: all data still decoded, at 1/8 scale
                image.load()
    except Exception as error:  # Pillow raises OSError, SyntaxError, ValueError, zlib.error, … on broken data
        raise corrupt(item, path, error) from error


def check_all(
    items: list[BenchItem], media_root: str | Path | None, max_frames: int = MAX_FRAMES, strict: bool = False
) -> dict[str, MediaError]:
    """Every item whose media is missing, outside the media root, not a file or not decodable, by item key, found
    before judging; with ``strict`` the first one is raised instead."""
    bad: dict[str, MediaError] = {}
    unique = list({item.key: item for item in items}.values())
    for item in tqdm(unique, desc="checking media", unit="item", disable=len(unique) < 100):
        try:
            for path in frame_paths(item, media_root, max_frames):
                check_decodes(item, path)
        except MediaError as error:
            if strict:
                raise
            bad[item.key] = error
    return bad


def load_frames(item: BenchItem, media_root: str | Path | None, max_frames: int = MAX_FRAMES) -> list[Image.Image]:
    """RGB images of an item: its image, or up to ``max_frames`` evenly spaced frames of its video folder;
    ``MediaError`` if one went missing or bad since the check."""
    return [_decode(item, path) for path in frame_paths(item, media_root, max_frames)]


def load_batch(
    batch: list[Presentation], media_root: str | Path | None, max_frames: int = MAX_FRAMES
) -> list[list[Image.Image] | Skip]:
    """Per presentation of ``batch``: its frames (:func:`load_frames`), or a ``Skip`` naming why they cannot be read."""
    loaded: list[list[Image.Image] | Skip] = []
    for presentation in batch:
        try:
            loaded.append(load_frames(presentation.item, media_root, max_frames))
        except MediaError as error:
            loaded.append(Skip(error.reason))
    return loaded
