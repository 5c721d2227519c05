"""The trained reward model as a judge through transformers (CPU, or one GPU without vLLM).

One ``generate`` call per batch of presentations draws all ``k`` samples per prompt (``num_return_sequences=k``), so
the k samples are decoded together in the same steps. transformers copies each prompt k times before the prefill,
though, so prompt processing is not shared (vLLM's ``n = k`` shares it). The answer token's probability comes from
the raw logits at the position of the verdict digit. Video items are shown as their frames, one image each. A
presentation whose media cannot be read comes back as a :class:`Skip`; the rest of its batch is judged.
"""

from pathlib import Path

import torch

from r1_reward import qwen_vl
from r1_reward.evaluate.items import Presentation
from r1_reward.evaluate.models import media
from r1_reward.evaluate.models.base import Sample, Skip
from r1_reward.evaluate.models.shared import presentation_prompt, read_answer
from r1_reward.parse import answer_char_offset, token_index_at


class TransformersModel:
    """Batched sampling with a local Hugging Face checkpoint (loaded offline)."""

    name = "transformers"
    needs_media = True

    def __init__(
        self,
        model_path: str | Path,
        media_root: str | Path | None = None,
        temperature: float | None = None,
        max_new_tokens: int = 1024,
        device: str = "cpu",
        max_frames: int = 8,
    ):
        from transformers import AutoModelForImageTextToText, AutoProcessor

        qwen_vl.enable()  # lets a Qwen2.5-VL processor load where CPU torch has no torchvision
        if not Path(model_path).is_dir():
            raise FileNotFoundError(f"--model {model_path} is not a local checkpoint folder (nothing is downloaded)")
        self.processor = AutoProcessor.from_pretrained(model_path, local_files_only=True)
        self.processor.tokenizer.padding_side = "left"
        self.model = AutoModelForImageTextToText.from_pretrained(model_path, local_files_only=True).to(device).eval()
        vocab = self.processor.tokenizer.get_vocab()
        self.suppress = [vocab[t] for t in qwen_vl.VISION_PLACEHOLDERS if t in vocab]
        self.media_root, self.temperature, self.max_new_tokens = media_root, temperature, max_new_tokens
        self.source = str(model_path)
        self.device, self.max_frames = device, max_frames

    def _inputs(self, batch: list[tuple[Presentation, list]]) -> dict:
        texts, images = [], []
        for p, frames in batch:
            content = [{"type": "image"} for _ in frames] + [{"type": "text", "text": presentation_prompt(p)}]
            messages = [{"role": "user", "content": content}]
            texts.append(self.processor.apply_chat_template(messages, tokenize=False, add_generation_prompt=True))
            images += frames
        inputs = self.processor(text=texts, images=images or None, padding=True, return_tensors="pt")
        return inputs.to(self.device)

    def _generate(self, inputs: dict, k: int):
        temperature = self.temperature if self.temperature is not None else (1.0 if k > 1 else 0.0)
        if k > 1 and temperature <= 0:
            raise ValueError("--samples > 1 needs --temperature > 0 (greedy decoding gives k identical samples)")
        sampling = (
            {"do_sample": True, "temperature": temperature, "top_k": 0} if temperature > 0 else {"do_sample": False}
        )
        with torch.inference_mode():
            return self.model.generate(
                **inputs,
                **sampling,
                num_return_sequences=k,
                max_new_tokens=self.max_new_tokens,
                suppress_tokens=self.suppress or None,
                output_logits=True,
                return_dict_in_generate=True,
            )

    def _sample(self, ids: list[int], logits: torch.Tensor) -> Sample:
        decode = self.processor.tokenizer.decode
        text = decode(ids, skip_special_tokens=True)
        answer = read_answer(text)
        offset = answer_char_offset(text, answer)
        if offset is None:
            return Sample(answer, None, text)
        index = token_index_at(offset, len(ids), lambda n: decode(ids[:n], skip_special_tokens=True))
        prob = torch.softmax(logits[index].float(), dim=-1)[ids[index]].item()
        return Sample(answer, prob, text)

    def _stop_ids(self) -> set[int]:
        eos = self.model.generation_config.eos_token_id
        stops = set(eos if isinstance(eos, list) else [eos] if eos is not None else [])
        return stops | {self.processor.tokenizer.pad_token_id} - {None}

    def judge(self, batch: list[Presentation], k: int) -> list[list[Sample] | Skip]:
        loaded = media.load_batch(batch, self.media_root, self.max_frames)
        ready = [(p, frames) for p, frames in zip(batch, loaded) if not isinstance(frames, Skip)]
        if not ready:
            return loaded
        inputs = self._inputs(ready)
        out = self._generate(inputs, k)
        generated = out.sequences[:, inputs["input_ids"].shape[1] :].tolist()
        logits = torch.stack(out.logits, dim=1)
        stops, samples = self._stop_ids(), []
        for row, ids in enumerate(generated):
            end = next((i for i, t in enumerate(ids) if t in stops), len(ids))
            samples.append(self._sample(ids[:end], logits[row]))
        judged = iter(samples[i * k : (i + 1) * k] for i in range(len(ready)))
        return [frames if isinstance(frames, Skip) else next(judged) for frames in loaded]

    def close(self) -> None:
        """Drop the model so its memory can be reclaimed."""
        self.model = None
