"""Does the CPU hf rollout sample from the model the actor trains? Its log-probs against a teacher-forced forward pass.

    python benchmarks/rollout_agreement.py MODEL_DIR [--samples 16] [--max-tokens 48]

For toy colour prompts, the hf rollout engine (``r1_reward.cpu.hf_engine.HFEngine``) samples a response at T = 1 and
reports its per-token log-probs; the actor's view is one forward pass over the processor's prompt (text and image, as
verl's dataset and the evaluator build it) plus that response. Printed side by side in one run: the engine as shipped
and the engine without ``mm_token_type_ids`` in its inputs (issue #19's bug: image tokens lose their M-RoPE
positions). Per variant: median and max over samples of max |Δ log p|, mean per-token k1 estimate of
KL(rollout ‖ actor), and the correlation of token probabilities. Use a trained checkpoint (e.g. the demo's SFT
export): a random tiny model barely uses positions and shows no difference.
"""

import argparse
import io
import statistics

import torch
from PIL import Image

from r1_reward.cpu.hf_engine import HFEngine, teacher_forced_log_probs
from r1_reward.data import toy
from r1_reward.openai_chat import data_url


def chat_messages(pair: toy.ToyPair) -> list[dict]:
    """The toy pair as an OpenAI-style user turn (image part, then Table 1's prompt)."""
    text = toy.user_turn(pair)["content"].removeprefix("<image>")
    image = {"type": "image_url", "image_url": {"url": data_url(Image.open(io.BytesIO(pair.image)))}}
    return [{"role": "user", "content": [image, {"type": "text", "text": text}]}]


def measure(engine: HFEngine, pairs: list[toy.ToyPair], max_tokens: int) -> str:
    torch.manual_seed(0)
    worst, k1, rollout_probs, actor_probs = [], [], [], []
    for pair in pairs:
        messages = chat_messages(pair)
        result = engine.generate([engine.chat_request(messages, max_tokens, 1.0, 1.0)])[0]
        rollout, actor = torch.tensor(result.log_probs), teacher_forced_log_probs(engine, messages, result.token_ids)
        worst.append(float((rollout - actor).abs().max()))
        k1.append(float((rollout - actor).mean()))
        rollout_probs += rollout.exp().tolist()
        actor_probs += actor.exp().tolist()
    correlation = float(torch.corrcoef(torch.tensor([rollout_probs, actor_probs]))[0, 1])
    spread = f"max |dlogp| median {statistics.median(worst):.4f}, max {max(worst):.4f}"
    return (f"{len(pairs)} samples, {len(rollout_probs)} tokens; {spread}; per-token KL(k1) {statistics.mean(k1):.4f}; "
            f"prob corr {correlation:.3f}")  # fmt: skip


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="hf rollout vs actor log-probs, with and without mm_token_type_ids")
    parser.add_argument("model", help="Qwen2.5-VL folder (e.g. the demo's sft/checkpoints/global_step_N/huggingface)")
    parser.add_argument("--samples", type=int, default=16, help="toy prompts, one T = 1 sample each (16)")
    parser.add_argument("--max-tokens", type=int, default=48, help="response cap (48)")
    args = parser.parse_args(argv)
    engine = HFEngine(args.model, seed=0)
    pairs = toy.generate(args.samples, seed=11, kinds=("colour",))
    shipped = engine._inputs
    print(f"engine as shipped:           {measure(engine, pairs, args.max_tokens)}")
    engine._inputs = lambda requests: {k: v for k, v in shipped(requests).items() if k != "mm_token_type_ids"}
    print(f"without mm_token_type_ids:   {measure(engine, pairs, args.max_tokens)}")


if __name__ == "__main__":
    main()
