"""Batched generation with plain transformers: the engine behind the ``hf`` rollout server (CPU, tests, demos).

Token ids (and images) in, token ids and log-probs out, as verl's rollout servers answer. Requests that arrive
together and share sampling settings are generated as one left-padded batch. The vision placeholder tokens are
suppressed when sampling: a random model may otherwise emit ``<|image_pad|>``, which breaks the M-RoPE index that
verl recomputes from the response.
"""

from dataclasses import dataclass, field
from typing import Any

import torch
from transformers import AutoConfig, AutoModelForCausalLM, AutoModelForImageTextToText, AutoProcessor, AutoTokenizer

from r1_reward import qwen_vl
from r1_reward.cpu.chat_format import to_processor_messages


@dataclass
class Request:
    """One generation request: prompt token ids (images already expanded into placeholder tokens)."""

    prompt_ids: list[int]
    max_tokens: int
    temperature: float = 1.0
    top_p: float = 1.0
    top_k: int = -1
    images: list[Any] = field(default_factory=list)

    def sampling_key(self) -> tuple[float, float, int]:
        return self.temperature, self.top_p, self.top_k


@dataclass
class Result:
    token_ids: list[int]
    log_probs: list[float]
    stop_reason: str  # "completed" (stop token) or "length"


class HFEngine:
    """A transformers model plus its processor, generating batches of ``Request``s."""

    def __init__(self, model_path: str, seed: int = 0, trust_remote_code: bool = False):
        qwen_vl.enable()  # a Qwen2.5-VL processor loads without torchvision (a no-op where it is installed)
        config = AutoConfig.from_pretrained(model_path, trust_remote_code=trust_remote_code)
        self.is_vision = getattr(config, "vision_config", None) is not None
        auto_model = AutoModelForImageTextToText if self.is_vision else AutoModelForCausalLM
        self.model = auto_model.from_pretrained(model_path, trust_remote_code=trust_remote_code, dtype=torch.float32)
        self.model.eval()
        loader = AutoProcessor if self.is_vision else AutoTokenizer
        self.processor = loader.from_pretrained(model_path, trust_remote_code=trust_remote_code)
        self.tokenizer = getattr(self.processor, "tokenizer", self.processor)
        eos = self.model.generation_config.eos_token_id
        self.stop_ids = set(eos if isinstance(eos, list) else [eos])
        self.pad_id = self.tokenizer.pad_token_id if self.tokenizer.pad_token_id is not None else min(self.stop_ids)
        vocab = self.tokenizer.get_vocab()
        self.suppressed = [vocab[t] for t in qwen_vl.VISION_PLACEHOLDERS if t in vocab]
        torch.manual_seed(seed)

    def load_weights(self, weights: dict[str, torch.Tensor]) -> int:
        """Copy trainer weights in by name; every name must be known. Returns how many tensors were loaded."""
        state = self.model.state_dict()
        unknown = sorted(set(weights) - set(state))
        if unknown:
            raise KeyError(f"weights {unknown[:3]}... are not parameters of the rollout model: same checkpoint?")
        with torch.no_grad():
            for name, tensor in weights.items():
                state[name].copy_(tensor.to(state[name].dtype))
        return len(weights)

    def _inputs(self, requests: list[Request]) -> dict[str, torch.Tensor]:
        width = max(len(r.prompt_ids) for r in requests)
        input_ids = torch.full((len(requests), width), self.pad_id, dtype=torch.long)
        attention_mask = torch.zeros_like(input_ids)
        for row, request in enumerate(requests):
            input_ids[row, width - len(request.prompt_ids) :] = torch.tensor(request.prompt_ids)
            attention_mask[row, width - len(request.prompt_ids) :] = 1
        inputs = {"input_ids": input_ids, "attention_mask": attention_mask}
        images = [image for request in requests for image in request.images]
        if images:
            inputs.update(self.processor.image_processor(images=images, return_tensors="pt"))
            # transformers 5's Qwen2.5-VL gives image tokens their M-RoPE positions only with this field; without it
            # every token gets text positions and the rollout samples from another model than the actor trains.
            token_types = self.processor.create_mm_token_type_ids(input_ids.tolist())
            inputs["mm_token_type_ids"] = torch.tensor(token_types, dtype=torch.long)
        return inputs

    @torch.no_grad()
    def generate(self, requests: list[Request]) -> list[Result]:
        """Generate one batch; all requests must share ``sampling_key()``."""
        temperature, top_p, top_k = requests[0].sampling_key()
        greedy = temperature <= 0
        inputs = self._inputs(requests)
        out = self.model.generate(
            **inputs, max_new_tokens=max(r.max_tokens for r in requests), do_sample=not greedy,
            temperature=None if greedy else temperature, top_p=None if greedy else top_p,
            top_k=None if greedy or top_k <= 0 else top_k, suppress_tokens=self.suppressed or None,
            eos_token_id=sorted(self.stop_ids), pad_token_id=self.pad_id,
            return_dict_in_generate=True, output_logits=True,
        )  # fmt: skip
        new_tokens = out.sequences[:, inputs["input_ids"].shape[1] :]
        logits = torch.stack(out.logits, dim=1).float() / (1.0 if greedy else temperature)
        log_probs = torch.log_softmax(logits, dim=-1).gather(-1, new_tokens.unsqueeze(-1)).squeeze(-1)
        return [self._trim(new_tokens[i], log_probs[i], r.max_tokens) for i, r in enumerate(requests)]

    def _trim(self, tokens: torch.Tensor, log_probs: torch.Tensor, max_tokens: int) -> Result:
        """Cut a row after its first stop token (kept, as vLLM does) or at ``max_tokens``."""
        ids = tokens.tolist()[:max_tokens]
        for position, token in enumerate(ids):
            if token in self.stop_ids:
                return Result(ids[: position + 1], log_probs[: position + 1].tolist(), "completed")
        return Result(ids, log_probs[: len(ids)].tolist(), "length")

    def chat_request(self, messages: list[dict], max_tokens: int, temperature: float, top_p: float) -> Request:
        """A ``Request`` from OpenAI-style chat messages (text parts and ``data:`` image URLs)."""
        messages, images = to_processor_messages(messages)
        text = self.processor.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
        if images:
            prompt_ids = self.processor(text=[text], images=images, return_tensors="pt")["input_ids"][0].tolist()
        else:
            prompt_ids = self.tokenizer(text, add_special_tokens=False)["input_ids"]
        return Request(prompt_ids, max_tokens, temperature, top_p, images=images)


def teacher_forced_log_probs(engine: HFEngine, messages: list[dict], response_ids: list[int]) -> torch.Tensor:
    """Log-probs of ``response_ids`` after ``messages``, in one forward pass over the prompt as verl's dataset and the
    evaluator build it (the processor on text and images, so every field the model needs for image positions is
    there): the actor's view of a rollout, against which tests and ``benchmarks/rollout_agreement.py`` check the
    engine's own log-probs."""
    processor_messages, images = to_processor_messages(messages)
    text = engine.processor.apply_chat_template(processor_messages, tokenize=False, add_generation_prompt=True)
    inputs = engine.processor(text=[text], images=images, return_tensors="pt")
    prompt_length = inputs["input_ids"].shape[1]
    response = torch.tensor([response_ids])
    inputs["input_ids"] = torch.cat([inputs["input_ids"], response], dim=1)
    inputs["attention_mask"] = torch.cat([inputs["attention_mask"], torch.ones_like(response)], dim=1)
    inputs["mm_token_type_ids"] = torch.cat([inputs["mm_token_type_ids"], torch.zeros_like(response)], dim=1)
    with torch.no_grad():
        logits = engine.model(**inputs).logits[0, prompt_length - 1 : -1].float()
    return torch.log_softmax(logits, -1).gather(-1, response[0][:, None]).squeeze(-1)
