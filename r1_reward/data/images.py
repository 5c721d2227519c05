"""Image loading that stays inside ``--image-root`` and rejects unreadable files.

Images are embedded as their original encoded bytes (no re-encoding), checked by decoding the header and
verifying the data with Pillow. A small cache keyed by resolved path makes rows that share an image share
one bytes object instead of holding copies.
"""

import io
from collections import OrderedDict
from pathlib import Path

from PIL import Image

from r1_reward.data.pairs import RowError


def resolve_under(root: Path, reference: str) -> Path:
    """The real path of ``reference`` relative to ``root``; ``RowError`` if it leaves the root (``..``, links)."""
    candidate = (root / reference).resolve()
    if not candidate.is_relative_to(root):
        raise RowError(f"image path escapes --image-root: {reference!r} is outside {str(root)!r}")
    return candidate


def check_image(data: bytes, name: str) -> None:
    """Raise ``RowError`` unless ``data`` decodes as an image."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            image.verify()
    except Exception as error:
        raise RowError(f"corrupt image: {name!r} ({type(error).__name__}: {error})") from error


class ImageStore:
    """Reads and verifies images under one root, sharing bytes among rows that name the same file."""

    def __init__(self, root: str | Path | None, cache_size: int = 256) -> None:
        self.root = Path(root).resolve() if root is not None else None
        self.cache_size = cache_size
        self._cache: OrderedDict[Path, bytes] = OrderedDict()

    def load(self, reference: str | bytes) -> bytes:
        """Encoded image bytes for a path under the root, or embedded bytes after verification."""
        if isinstance(reference, bytes):
            check_image(reference, "<embedded bytes>")
            return reference
        if self.root is None:
            raise RowError("no --image-root: rows name image files, pass --image-root DIR")
        path = resolve_under(self.root, reference)
        if path in self._cache:
            self._cache.move_to_end(path)
            return self._cache[path]
        if not path.is_file():
            raise RowError(f"missing image: {reference!r} (looked for {str(path)!r})")
        data = path.read_bytes()
        check_image(data, reference)
        self._cache[path] = data
        if len(self._cache) > self.cache_size:
            self._cache.popitem(last=False)
        return data
