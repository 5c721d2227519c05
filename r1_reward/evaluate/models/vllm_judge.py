"""The trained reward model as a judge through vLLM's offline engine on GPU (``LLM.generate``, ``n = k``).

Written against vLLM's documented offline API (``vllm.LLM``, ``vllm.SamplingParams`` with ``n``, ``temperature``,
``max_tokens``, ``logprobs``; multimodal prompts as ``{"prompt": ..., "multi_modal_data": {"image": [...]}}``).
vLLM is imported only when this judge is built: it is in the ``gpu`` extra and absent from CPU installs, so this
path is not exercised by the CPU test suite.
"""

import math
from pathlib import Path
from typing import Any

from r1_reward.evaluate.items import Presentation
from r1_reward.evaluate.models import media
from r1_reward.evaluate.models.base import Sample, Skip
from r1_reward.evaluate.models.shared import presentation_prompt, read_answer
from r1_reward.parse import answer_char_offset, token_index_at


class VllmModel:
    """Batched generation of k samples per prompt with one vLLM engine."""

    name = "vllm"
    needs_media = True

    def __init__(
        self,
        model_path: str | Path,
        media_root: str | Path | None = None,
        temperature: float | None = None,
        max_new_tokens: int = 1024,
        max_frames: int = 8,
        **engine_args: Any,
    ):
        self.source = str(model_path)
        try:
            from vllm import LLM
        except ImportError as exc:
            raise ImportError(
                "--judge vllm needs vLLM: pip install -e '.[gpu]' on a GPU node, or use --judge transformers"
            ) from exc
        from transformers import AutoProcessor

        self.processor = AutoProcessor.from_pretrained(model_path, local_files_only=True)
        limits = {"image": max_frames}
        self.llm = LLM(model=str(model_path), limit_mm_per_prompt=limits, **engine_args)
        self.media_root, self.temperature, self.max_new_tokens, self.max_frames = (
            media_root,
            temperature,
            max_new_tokens,
            max_frames,
        )

    def _prompt(self, p: Presentation, frames: list) -> dict[str, Any]:
        content = [{"type": "image"} for _ in frames] + [{"type": "text", "text": presentation_prompt(p)}]
        text = self.processor.apply_chat_template(
            [{"role": "user", "content": content}], tokenize=False, add_generation_prompt=True
        )
        return {"prompt": text, "multi_modal_data": {"image": frames}} if frames else {"prompt": text}

    def judge(self, batch: list[Presentation], k: int) -> list[list[Sample] | Skip]:
        """k samples per presentation; one whose media cannot be read is a :class:`Skip`, the rest are judged."""
        from vllm import SamplingParams

        loaded = media.load_batch(batch, self.media_root, self.max_frames)
        prompts = [self._prompt(p, frames) for p, frames in zip(batch, loaded) if not isinstance(frames, Skip)]
        if not prompts:
            return loaded
        temperature = self.temperature if self.temperature is not None else (1.0 if k > 1 else 0.0)
        params = SamplingParams(n=k, temperature=temperature, max_tokens=self.max_new_tokens, logprobs=0)
        outputs = iter(self.llm.generate(prompts, params))
        return [f if isinstance(f, Skip) else [completion_sample(c) for c in next(outputs).outputs] for f in loaded]

    def close(self) -> None:
        """Drop the engine so its GPU memory can be reclaimed."""
        self.llm = None


def completion_sample(completion: Any) -> Sample:
    """A sample from a vLLM ``CompletionOutput``: text, verdict, and the sampled answer token's probability."""
    text = completion.text
    answer = read_answer(text)
    offset = answer_char_offset(text, answer)
    if offset is None or not completion.logprobs:
        return Sample(answer, None, text)
    ids = list(completion.token_ids)
    pieces = [step[token].decoded_token or "" for step, token in zip(completion.logprobs, ids)]
    index = token_index_at(offset, len(pieces), lambda n: "".join(pieces[:n]))
    return Sample(answer, math.exp(completion.logprobs[index][ids[index]].logprob), text)
