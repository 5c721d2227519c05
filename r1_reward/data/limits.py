"""What one row may hold: caps on image file size, pixels, aspect ratio and text length.

A row over a cap is quarantined with the cap's name and the option that raises it. The defaults fit Qwen2.5-VL (its
processor refuses an aspect ratio over 200:1 and downscales anything above 12.8 MP, so bigger images carry
detail the model never sees) and bound ``convert``'s memory: one image is at most ``max_image_mb`` encoded and
``max_image_pixels`` × 4 bytes decoded (64 MB at the default). See data/README.md, "Caps and memory".
"""

from dataclasses import dataclass

from r1_reward.data.pairs import Pair, RowError

MB = 2**20


@dataclass(frozen=True)
class RowLimits:
    """Caps on one row; every field is a ``convert`` option of the same name."""

    max_image_mb: float = 32.0  # encoded image file size in MiB (a 200 MB file once cost 2 GB of RSS)
    max_image_pixels: int = 4096 * 4096  # width × height; 1.3 × Qwen2.5-VL's default max_pixels (12,845,056)
    max_aspect_ratio: float = 200.0  # longer side / shorter side; Qwen2.5-VL's processor refuses more than 200
    max_text_chars: int = 16_000  # question + both responses, ≈ 4k tokens (stable_reinforce's max_prompt_length)

    @property
    def max_image_bytes(self) -> int:
        return int(self.max_image_mb * MB)

    def check_file_size(self, size: int, name: str) -> None:
        if size > self.max_image_bytes:
            raise RowError(
                f"image file too large: {name!r} is {size / MB:.1f} MiB > {self.max_image_mb:g} MiB (--max-image-mb)"
            )

    def check_dimensions(self, width: int, height: int, name: str) -> None:
        """Pixels and aspect ratio from the image header, before anything is decoded."""
        if min(width, height) < 1:
            raise RowError(f"corrupt image: {name!r} has size {width}x{height}")
        if width * height > self.max_image_pixels:
            raise RowError(
                f"image too large: {name!r} is {width}x{height} = {width * height:,} pixels"
                f" > {self.max_image_pixels:,} (--max-image-pixels)"
            )
        ratio = max(width, height) / min(width, height)
        if ratio > self.max_aspect_ratio:
            raise RowError(
                f"extreme aspect ratio: {name!r} is {width}x{height} ({ratio:.0f}:1 > {self.max_aspect_ratio:g}:1,"
                " which Qwen2.5-VL's processor refuses; --max-aspect-ratio)"
            )

    def check_text(self, pair: Pair) -> None:
        length = len(pair.question) + len(pair.chosen) + len(pair.rejected)
        if length > self.max_text_chars:
            raise RowError(
                f"text too long: question + responses are {length:,} characters > {self.max_text_chars:,}"
                " (--max-text-chars)"
            )


DEFAULT_LIMITS = RowLimits()
