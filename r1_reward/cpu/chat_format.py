"""OpenAI chat-completions messages → the processor's chat-template messages plus PIL images."""

import base64
import io

from PIL import Image


def _image(url: str) -> Image.Image:
    """Decode a ``data:image/...;base64,`` URL; remote URLs are refused (no network at run time)."""
    if not url.startswith("data:image") or "base64," not in url:
        raise ValueError(f"image_url {url[:40]!r}... is not a base64 data URL: send images inline (no network access)")
    return Image.open(io.BytesIO(base64.b64decode(url.split("base64,", 1)[1]))).convert("RGB")


def to_processor_messages(messages: list[dict]) -> tuple[list[dict], list[Image.Image]]:
    """Split OpenAI content parts into template parts (``{"type": "image"}`` / text) and the images in order."""
    converted, images = [], []
    for message in messages:
        content = message["content"]
        if isinstance(content, str):
            converted.append({"role": message["role"], "content": content})
            continue
        parts = []
        for part in content:
            if part.get("type") == "image_url":
                images.append(_image(part["image_url"]["url"]))
                parts.append({"type": "image"})
            elif part.get("type") == "text":
                parts.append({"type": "text", "text": part["text"]})
            else:
                raise ValueError(f"content part type {part.get('type')!r} unsupported: use 'text' or 'image_url'")
        converted.append({"role": message["role"], "content": parts})
    return converted, images
