"""Image loading that stays inside ``--image-root`` and rejects images training cannot use.

Images are embedded as their original encoded bytes (no re-encoding). Each one is checked before it is kept: the
path resolves inside the root (no ``..``, no link out, no NUL byte, no over-long name, no link loop), the file is
within the size cap, the header's size within the pixel and aspect-ratio caps (:mod:`r1_reward.data.limits`), and
the pixel data decodes completely (a truncated JPEG or a PNG with broken data fails here, not as a black image in
training; a JPEG is decoded in Pillow's draft mode, which reads all its data but scales the output down 8x,
2-4x faster than a full-size decode). Pillow's decompression-bomb warning counts as an error. A small cache keyed
by resolved path, bounded in entries and bytes, makes rows that share an image share one bytes object.
"""

import io
import stat
import warnings
from collections import OrderedDict
from pathlib import Path

from PIL import Image

from r1_reward.data.limits import DEFAULT_LIMITS, MB, RowLimits
from r1_reward.data.pairs import RowError

CACHE_MAX_BYTES = 64 * MB


def _short(reference: str) -> str:
    return repr(reference if len(reference) <= 120 else reference[:120] + "…")


def resolve_under(root: Path, reference: str) -> Path:
    """The real path of ``reference`` relative to ``root``; ``RowError`` if it leaves the root or cannot resolve."""
    try:
        candidate = (root / reference).resolve()
    except (OSError, RuntimeError, ValueError) as error:  # NUL byte, name too long, symlink loop
        raise RowError(f"bad image path: {_short(reference)} ({type(error).__name__}: {str(error)[:200]})") from error
    if not candidate.is_relative_to(root):
        raise RowError(f"image path escapes --image-root: {_short(reference)} is outside {str(root)!r}")
    return candidate


def _not_a_file(path: Path) -> str:
    """What a path that exists but is not a regular file is, in words."""
    mode = path.stat().st_mode
    kinds = ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a FIFO"), (stat.S_ISSOCK, "a socket"),
             (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"))  # fmt: skip
    return next((name for test, name in kinds if test(mode)), "not a regular file")


def read_image_file(path: Path, reference: str, limits: RowLimits) -> bytes:
    """The file's bytes, reading at most one byte past the size cap; ``RowError`` for a missing or unreadable file,
    or a path that is not a regular file (a directory or a FIFO is named as such and never opened)."""
    try:
        if not path.exists():
            raise RowError(f"missing image: {_short(reference)} (looked for {_short(str(path))})")
        if not path.is_file():
            raise RowError(f"image not a file: {_short(reference)} is {_not_a_file(path)}")
        limits.check_file_size(path.stat().st_size, reference)
        with path.open("rb") as handle:
            data = handle.read(limits.max_image_bytes + 1)
    except OSError as error:
        raise RowError(f"bad image path: {_short(reference)} ({type(error).__name__}: {str(error)[:200]})") from error
    limits.check_file_size(len(data), reference)  # the file grew after stat
    return data


def check_image(data: bytes, name: str, limits: RowLimits = DEFAULT_LIMITS) -> None:
    """Raise ``RowError`` unless ``data`` is within the caps and decodes completely."""
    limits.check_file_size(len(data), name)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                limits.check_dimensions(*image.size, name)
                image.draft(image.mode, (1, 1))  # JPEG: every byte is still entropy-decoded, the IDCT at 1/8 scale
                image.load()
    except RowError:
        raise
    except (Image.DecompressionBombWarning, Image.DecompressionBombError) as error:
        raise RowError(f"image too large: {name!r} ({error}; --max-image-pixels)") from error
    except Exception as error:  # Pillow raises OSError, SyntaxError, ValueError, zlib.error, … on broken data
        raise RowError(f"corrupt image: {name!r} ({type(error).__name__}: {error})") from error


class ImageStore:
    """Reads and checks images under one root, sharing bytes among rows that name the same file."""

    def __init__(self, root: str | Path | None, limits: RowLimits = DEFAULT_LIMITS, cache_size: int = 256) -> None:
        self.root = Path(root).resolve() if root is not None else None
        self.limits = limits
        self.cache_size = cache_size
        self._cache: OrderedDict[Path, bytes] = OrderedDict()
        self._cache_bytes = 0

    def load(self, reference: str | bytes) -> bytes:
        """Encoded image bytes for a path under the root, or embedded bytes after the same checks."""
        if isinstance(reference, bytes):
            check_image(reference, "<embedded bytes>", self.limits)
            return reference
        if self.root is None:
            raise RowError("no --image-root: rows name image files, pass --image-root DIR")
        path = resolve_under(self.root, reference)
        if path in self._cache:
            self._cache.move_to_end(path)
            return self._cache[path]
        data = read_image_file(path, reference, self.limits)
        check_image(data, reference, self.limits)
        self._remember(path, data)
        return data

    def _remember(self, path: Path, data: bytes) -> None:
        self._cache[path] = data
        self._cache_bytes += len(data)
        while len(self._cache) > self.cache_size or self._cache_bytes > CACHE_MAX_BYTES:
            self._cache_bytes -= len(self._cache.popitem(last=False)[1])
