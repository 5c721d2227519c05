"""An in-process StableReinforce loop on the tiny Qwen2.5-VL and the toy task, for ablations that need many runs.

Twelve Ray ``main_ppo`` runs do not fit a 2-core machine's budget, so ``benchmarks/stability.py`` trains with this
loop instead. What it shares with the verl trainer: the variant's config is composed from ``conf/`` exactly as
``main_ppo`` composes it (``+experiment=<name>``), converted to verl's ``ActorConfig`` / algorithm dataclasses;
rewards come from our reward (``r1_reward.reward.scoring`` with the rule judge); advantages from the estimator verl's
registry serves (``get_adv_estimator_fn``); the loss from verl's policy-loss registry (``get_policy_loss_fn``) with
the config's ``loss_agg_mode``; ``ppo_epochs`` passes over the rollout batch in mini-batches of
``ppo_mini_batch_size``; AdamW with the config's lr, betas and weight decay; the gradient clipped to ``clip_grad``,
and, as verl's FSDP engine does, the optimizer step skipped when the gradient norm is not finite.
What it does not mirror: no Ray, FSDP or agent loop; rollouts come from HF ``generate`` on the trained model itself
(so ``old_log_prob`` is recomputed by a no-grad forward, as verl's actor recomputes it); one micro-batch per
mini-batch; no KL term and no reference model (the paper's KL coefficient is 0).
"""

import asyncio
import io
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from verl.trainer.ppo.core_algos import get_adv_estimator_fn, get_policy_loss_fn

from r1_reward import qwen_vl
from r1_reward.algos.adv_filter import pop_filter_metrics
from r1_reward.data.toy import ToyPair
from r1_reward.judge.rule import RuleJudge
from r1_reward.prompt import build_prompt
from r1_reward.reward.formula import RewardWeights
from r1_reward.reward.scoring import score_outputs


@dataclass
class Policy:
    """The model being trained, its processor and the tokens generation must never emit."""

    model: torch.nn.Module
    processor: object

    @property
    def suppress(self) -> list[int]:
        vocab = self.processor.tokenizer.get_vocab()
        return [vocab[t] for t in qwen_vl.VISION_PLACEHOLDERS if t in vocab]

    @property
    def stop_ids(self) -> set[int]:
        eos = self.model.generation_config.eos_token_id
        return set(eos if isinstance(eos, list) else [eos]) | {self.processor.tokenizer.pad_token_id}


def load_policy(path: str | Path) -> Policy:
    """A local checkpoint (model + processor), loaded offline."""
    from transformers import AutoModelForImageTextToText, AutoProcessor

    qwen_vl.enable()
    processor = AutoProcessor.from_pretrained(path, local_files_only=True)
    processor.tokenizer.padding_side = "left"
    return Policy(AutoModelForImageTextToText.from_pretrained(path, local_files_only=True), processor)


def prompt_inputs(policy: Policy, pairs: Sequence[ToyPair]) -> dict:
    """Chat-formatted Table 1 prompts with their images, left-padded."""
    texts = []
    for pair in pairs:
        content = [{"type": "image"}, {"type": "text", "text": build_prompt(pair.question, pair.answer1, pair.answer2)}]
        messages = [{"role": "user", "content": content}]
        texts.append(policy.processor.apply_chat_template(messages, tokenize=False, add_generation_prompt=True))
    images = [Image.open(io.BytesIO(pair.image)).convert("RGB") for pair in pairs]
    return dict(policy.processor(text=texts, images=images, padding=True, return_tensors="pt"))


@dataclass
class Rollout:
    """One batch of prompts and sampled responses, as the loss sees them."""

    inputs: dict  # processor output for the prompts (input_ids, attention_mask, pixel_values, image_grid_thw)
    responses: torch.Tensor  # (B, R) response token ids, padded after the first stop token
    response_mask: torch.Tensor  # (B, R) 1 on response tokens up to and including the stop token
    texts: list[str]


def generate(policy: Policy, pairs: Sequence[ToyPair], max_new_tokens: int, temperature: float) -> Rollout:
    """Sample (temperature > 0) or decode greedily one response per prompt."""
    inputs = prompt_inputs(policy, pairs)
    sampling = {"do_sample": True, "temperature": temperature, "top_k": 0} if temperature > 0 else {"do_sample": False}
    with torch.inference_mode():
        out = policy.model.generate(
            **inputs, **sampling, max_new_tokens=max_new_tokens, suppress_tokens=policy.suppress
        )
    responses = out[:, inputs["input_ids"].shape[1] :].clone()
    stops = torch.isin(responses, torch.tensor(sorted(policy.stop_ids)))
    after_stop = (stops.cumsum(-1) - stops.long()) > 0
    mask = (~after_stop).float()
    responses[after_stop] = policy.processor.tokenizer.pad_token_id
    texts = policy.processor.tokenizer.batch_decode(responses, skip_special_tokens=True)
    return Rollout(inputs, responses, mask, texts)


def _subset(rollout: Rollout, rows: torch.Tensor) -> tuple[dict, torch.Tensor, torch.Tensor]:
    """Model inputs (prompt + response) of some rows; pixel patches are sliced per image."""
    grid = rollout.inputs["image_grid_thw"]
    ends = grid.prod(-1).cumsum(0)
    starts = ends - grid.prod(-1)
    pixels = torch.cat([rollout.inputs["pixel_values"][starts[i] : ends[i]] for i in rows.tolist()])
    mask = rollout.response_mask[rows]
    inputs = {
        "input_ids": torch.cat([rollout.inputs["input_ids"][rows], rollout.responses[rows]], dim=1),
        "attention_mask": torch.cat([rollout.inputs["attention_mask"][rows], mask.long()], dim=1),
        "pixel_values": pixels,
        "image_grid_thw": grid[rows],
    }
    return inputs, rollout.responses[rows], mask


def response_log_probs(policy: Policy, rollout: Rollout, rows: torch.Tensor) -> torch.Tensor:
    """log π(response token) for the given rows, (len(rows), R), in fp32."""
    inputs, responses, _ = _subset(rollout, rows)
    logits = policy.model(**inputs).logits[:, -responses.shape[1] - 1 : -1].float()
    return torch.log_softmax(logits, dim=-1).gather(-1, responses.unsqueeze(-1)).squeeze(-1)


def rewards(texts: Sequence[str], pairs: Sequence[ToyPair]) -> list[dict]:
    """Our §3.2 reward with the rule consistency judge (no model), every sub-score included."""
    return asyncio.run(score_outputs(texts, [p.label for p in pairs], RuleJudge(), RewardWeights(), "zero"))


def advantages(algo_config, scores: Sequence[float], response_mask: torch.Tensor) -> torch.Tensor:
    """Outcome reward on each response's last token, then the registry's estimator (as verl's compute_advantage)."""
    token_rewards = torch.zeros_like(response_mask)
    last = (response_mask.sum(-1).long() - 1).clamp(min=0)
    token_rewards[torch.arange(len(scores)), last] = torch.tensor(scores, dtype=token_rewards.dtype)
    uids = np.array([str(i) for i in range(len(scores))], dtype=object)
    estimator = get_adv_estimator_fn(algo_config.adv_estimator)
    adv, _ = estimator(token_level_rewards=token_rewards, response_mask=response_mask, config=algo_config, index=uids)
    return adv


def ppo_update(policy: Policy, optimizer, actor_config, rollout: Rollout, adv: torch.Tensor) -> list[dict]:
    """``ppo_epochs`` passes over the batch in mini-batches; one record per optimizer step."""
    loss_fn = get_policy_loss_fn(actor_config.policy_loss.loss_mode)
    n = rollout.responses.shape[0]
    with torch.no_grad():
        old = response_log_probs(policy, rollout, torch.arange(n))
    size, records = actor_config.ppo_mini_batch_size, []
    gen = torch.Generator().manual_seed(0)
    for _ in range(actor_config.ppo_epochs):
        order = torch.randperm(n, generator=gen) if actor_config.shuffle else torch.arange(n)
        for rows in order.split(size):
            new = response_log_probs(policy, rollout, rows)
            mask = rollout.response_mask[rows]
            loss, metrics = loss_fn(
                old[rows], new, adv[rows], mask, loss_agg_mode=actor_config.loss_agg_mode, config=actor_config
            )
            optimizer.zero_grad()
            loss.backward()
            records.append(metrics | {"loss": loss.item(), "grad_norm": _step(policy, optimizer, actor_config)})
    return records


def _step(policy: Policy, optimizer, actor_config) -> float:
    """Clip and step; skip the step on a non-finite gradient norm, as verl's FSDP engine does."""
    grad_norm = torch.nn.utils.clip_grad_norm_(policy.model.parameters(), actor_config.optim.clip_grad).item()
    if math.isfinite(grad_norm):
        optimizer.step()
    optimizer.zero_grad()
    return grad_norm


def make_optimizer(policy: Policy, actor_config) -> torch.optim.Optimizer:
    optim = actor_config.optim
    return torch.optim.AdamW(
        policy.model.parameters(), lr=optim.lr, betas=tuple(optim.betas), weight_decay=optim.weight_decay
    )


def accuracy(policy: Policy, pairs: Sequence[ToyPair], max_new_tokens: int) -> float:
    """Held-out accuracy, greedy, unparseable = wrong (the pairs already hold both answer orders, balanced)."""
    policy.model.eval()
    rollout = generate(policy, pairs, max_new_tokens, temperature=0.0)
    return float(np.mean([s["result"] for s in rewards(rollout.texts, pairs)]))


def rl_step(policy: Policy, optimizer, actor_config, algo_config, pairs, max_new_tokens: int) -> dict:
    """One rollout batch: sample, score, estimate advantages, update; returns the step's metrics."""
    rollout = generate(policy, pairs, max_new_tokens, temperature=1.0)
    scores = rewards(rollout.texts, pairs)
    pop_filter_metrics()
    adv = advantages(algo_config, [s["score"] for s in scores], rollout.response_mask)
    filtered = pop_filter_metrics().get("adv_filter/filtered_frac", 0.0)
    records = ppo_update(policy, optimizer, actor_config, rollout, adv)
    finite_losses = [abs(r["loss"]) for r in records if math.isfinite(r["loss"])]
    return {
        "reward": float(np.mean([s["score"] for s in scores])),
        "accuracy": float(np.mean([s["result"] for s in scores])),
        "format": float(np.mean([s["format"] for s in scores])),
        # Among samples the judge was asked about (right answers with reasoning), as the trainer's metric.
        "consistency": float(np.mean(judged))
        if (judged := [s["consistency"] for s in scores if s["judged"]])
        else math.nan,
        "response_length": float(rollout.response_mask.sum(-1).mean()),
        "filtered_frac": filtered,
        "pre_clipfrac": float(np.mean([r["actor/pre_clipfrac"] for r in records])),
        "pg_clipfrac": float(np.mean([r["actor/pg_clipfrac"] for r in records])),
        "max_abs_loss": max(finite_losses, default=math.nan),
        "nonfinite_loss": sum(not math.isfinite(r["loss"]) for r in records),
        "nonfinite_grad": sum(not math.isfinite(r["grad_norm"]) for r in records),
        "grad_norm": max((r["grad_norm"] for r in records if math.isfinite(r["grad_norm"])), default=math.nan),
        "updates": len(records),
    }


def teacher_rollout(policy: Policy, pairs: Sequence[ToyPair], targets: Sequence[str]) -> Rollout:
    """A Rollout holding given responses (each ended by ``<|im_end|>``), for supervised steps."""
    tokenizer = policy.processor.tokenizer
    ids = [tokenizer(text + "<|im_end|>", add_special_tokens=False)["input_ids"] for text in targets]
    width = max(map(len, ids))
    responses = torch.full((len(ids), width), tokenizer.pad_token_id)
    mask = torch.zeros(len(ids), width)
    for row, seq in enumerate(ids):
        responses[row, : len(seq)], mask[row, : len(seq)] = torch.tensor(seq), 1.0
    return Rollout(prompt_inputs(policy, pairs), responses, mask, list(targets))


def sft(policy: Policy, batches: Sequence[tuple[Sequence[ToyPair], Sequence[str]]], lr: float, progress=None) -> float:
    """Cold-start SFT: token-mean cross-entropy on the targets, AdamW, gradient clipped at 1; returns the last loss."""
    optimizer = torch.optim.AdamW(policy.model.parameters(), lr=lr)
    policy.model.train()
    loss = torch.tensor(math.nan)
    for pairs, targets in batches:
        rollout = teacher_rollout(policy, pairs, targets)
        log_probs = response_log_probs(policy, rollout, torch.arange(len(pairs)))
        loss = -(log_probs * rollout.response_mask).sum() / rollout.response_mask.sum()
        optimizer.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(policy.model.parameters(), 1.0)
        optimizer.step()
        if progress is not None:
            progress(loss.item())
    return loss.item()
