"""Prompt lengths in tokens of an RL parquet, counted the way verl's over-long filter counts them.

``python -m r1_reward.data convert ... --processor MODEL_DIR`` prints them after writing, so a user sees, before
training, how many rows ``data.max_prompt_length`` would drop (conf/r1_reward.yaml filters over-long prompts rather
than crashing). Each row's chat (the ``<image>`` placeholders of its prompt turned into image parts) goes through the
policy's chat template and processor with its images, as verl 0.9.1's ``RLHFDataset.maybe_filter_out_long_prompts``
does. The processor's image resizing dominates the cost, so a seeded sample of rows is measured by default.
"""

import io
import random
from dataclasses import dataclass
from pathlib import Path

import pyarrow.parquet as pq
from PIL import Image
from tqdm import tqdm

IMAGE_PLACEHOLDER = "<image>"
# What stable_reinforce allows (the authors' prompt_max_len); the CLI's default for the over-limit count.
DEFAULT_MAX_PROMPT_LENGTH = 20480


@dataclass(frozen=True)
class LengthReport:
    """Token lengths of the measured rows and how many are over ``limit``."""

    lengths: tuple[int, ...]
    rows: int  # rows in the file (measured or not)
    limit: int

    def percentile(self, q: float) -> int:
        ordered = sorted(self.lengths)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]

    def text(self) -> str:
        measured = len(self.lengths)
        over = sum(length > self.limit for length in self.lengths)
        scope = f"all {measured} rows" if measured == self.rows else f"{measured} sampled rows of {self.rows}"
        spread = ", ".join(f"p{int(q * 100)} {self.percentile(q)}" for q in (0.5, 0.9, 0.99))
        return (
            f"prompt tokens ({scope}, images included): min {min(self.lengths)}, {spread}, max {max(self.lengths)}; "
            f"{over} ({over / measured:.1%}) over data.max_prompt_length={self.limit}, which training drops"
        )


def chat(prompt: list[dict]) -> tuple[list[dict], int]:
    """verl's message layout for a processor: each ``<image>`` becomes an image part; returns (messages, images)."""
    messages, images = [], 0
    for turn in prompt:
        pieces = str(turn["content"]).split(IMAGE_PLACEHOLDER)
        content = []
        for index, piece in enumerate(pieces):
            if index:
                content.append({"type": "image"})
                images += 1
            if piece:
                content.append({"type": "text", "text": piece})
        messages.append({"role": turn["role"], "content": content})
    return messages, images


def row_length(processor, prompt: list[dict], images: list[dict]) -> int:
    """Tokens of one row's prompt with its images, after the chat template's generation prompt."""
    messages, placeholders = chat(prompt)
    if placeholders != len(images):
        raise ValueError(f"the prompt has {placeholders} {IMAGE_PLACEHOLDER} placeholders but {len(images)} images")
    text = processor.apply_chat_template(messages, add_generation_prompt=True, tokenize=False)
    pictures = [Image.open(io.BytesIO(image["bytes"])).convert("RGB") for image in images]
    inputs = processor(text=[text], images=pictures or None, return_tensors=None)
    return len(inputs["input_ids"][0])


def load_processor(path: str | Path):
    """The policy's processor, offline (a Qwen2.5-VL one loads without torchvision, see r1_reward/qwen_vl.py)."""
    from transformers import AutoProcessor

    from r1_reward import qwen_vl

    qwen_vl.enable()
    if not Path(path).is_dir():
        raise FileNotFoundError(f"--processor {path} is not a local model folder (nothing is downloaded)")
    return AutoProcessor.from_pretrained(path, local_files_only=True)


def prompt_lengths(parquet: str | Path, processor, sample: int = 1000, seed: int = 0, limit: int = 20480,
                   progress: bool = True) -> LengthReport:  # fmt: skip
    """Lengths of ``sample`` seeded rows of ``parquet`` (``sample=0``: every row)."""
    table = pq.read_table(parquet, columns=["prompt", "images"])
    rows = table.num_rows
    chosen = range(rows) if sample <= 0 or sample >= rows else sorted(random.Random(seed).sample(range(rows), sample))
    prompts, images = table.column("prompt"), table.column("images")
    lengths = [
        row_length(processor, prompts[i].as_py(), images[i].as_py() or [])
        for i in tqdm(chosen, desc="prompt tokens", unit="row", disable=not progress)
    ]
    return LengthReport(tuple(lengths), rows, limit)
