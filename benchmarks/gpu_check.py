"""GPU check for one H100/H200, no network: StableReinforce's cost against verl's stock pieces, and the judge's speed.

    python benchmarks/gpu_check.py --out gpu_check.json       # on the GPU (bf16): what benchmarks/gpu_check.sh runs
    python benchmarks/gpu_check.py --dry-run --out dry.json   # tiny shapes on CPU (run by the test suite)

(a) loss forward+backward of ``stable_reinforce`` / verl's ``vanilla`` and advantage estimator ``stable_reinforce`` /
    ``reinforce_plus_plus`` (target <= 1.02 each) at (256 x 4096) and (1024 x 4096) in bf16, plus tokens/s. The two
    sides run interleaved; the ratio is of medians.
(b) the transformers evaluation judge (r1_reward/evaluate/models/hf.py) on a random-weight Qwen2.5-VL of the 3B
    model's shape (the tiny tokenizer/processor, 112 px images = 16 image tokens): samples/s for k = 1 and k = 5.
(c) an actor update through verl's engine is not part of this script: verl 0.9.1 builds its engine inside Ray
    workers, and a Ray-free single-GPU set-up was not written (the CPU e2e tests run that path through Ray).
Figures go to ``--out`` as JSON.
"""

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

# The loss and estimator steps, their tensors and the interleaved timing are bench_algos's own (this folder is on
# sys.path when the script runs); importing it registers the plug-ins.
import bench_algos  # noqa: E402
import torch  # noqa: E402

TARGET = 1.02
# (rows, response tokens) per run.
SHAPES = {"gpu": [(256, 4096), (1024, 4096)], "dry": [(8, 64), (16, 64)]}
# Qwen2.5-VL-3B-Instruct's shape (its config.json), random weights; the dry run keeps the tiny model's.
QWEN25_VL_3B = {
    "text": {
        "hidden_size": 2048,
        "intermediate_size": 11008,
        "num_hidden_layers": 36,
        "num_attention_heads": 16,
        "num_key_value_heads": 2,
        "max_position_embeddings": 128000,
        "rope_theta": 1000000.0,
        "tie_word_embeddings": True,
        "vocab_size": 151936,
    },
    "vision": {
        "depth": 32,
        "hidden_size": 1280,
        "intermediate_size": 3420,
        "num_heads": 16,
        "out_hidden_size": 2048,
        "fullatt_block_indexes": [7, 15, 23, 31],
    },
}


def compare(ours, theirs, device: str, repeats: int) -> dict:
    """Median seconds of both sides, measured interleaved (so load or clock changes hit both alike)."""
    r, ours_ms, verl_ms = bench_algos.ratio(ours, theirs, device, repeats)
    return {"ratio": r, "ours_ms": ours_ms, "verl_ms": verl_ms, "target": TARGET, "ok": r <= TARGET}


def algos(device: str, shapes: list[tuple[int, int]], repeats: int) -> list[dict]:
    """Part (a): both ratios at every shape, in bf16."""
    results = []
    for rows, length in shapes:
        data = bench_algos.make_tensors(device, torch.bfloat16, rows, length)
        loss = compare(bench_algos.loss_step("stable_reinforce", data), bench_algos.loss_step("vanilla", data), device,
                       repeats)  # fmt: skip
        loss["tokens_per_s"] = rows * length / (loss["ours_ms"] / 1e3)
        estimator = compare(
            bench_algos.estimator_step("stable_reinforce", data),
            bench_algos.estimator_step("reinforce_plus_plus", data),
            device,
            repeats,
        )
        results.append({"shape": [rows, length], "loss_vs_vanilla": loss, "estimator_vs_reinforce_pp": estimator})
        print(
            f"({rows} x {length}) loss {loss['ratio']:.3f}  estimator {estimator['ratio']:.3f}  "
            f"{loss['tokens_per_s']:.3g} tokens/s (loss fwd+bwd)",
            flush=True,
        )
    return results


def judge_checkpoint(folder: Path, full_shape: bool) -> Path:
    """The tiny Qwen2.5-VL checkpoint (tokenizer, processor), re-initialised at 3B shape on the GPU when asked."""
    from transformers import AutoConfig, Qwen2_5_VLForConditionalGeneration

    from r1_reward.cpu import tiny_model

    path = tiny_model.build(folder)["vl"]
    if full_shape:
        config = AutoConfig.from_pretrained(path)
        for key, value in QWEN25_VL_3B["text"].items():
            setattr(config.text_config, key, value)
        for key, value in QWEN25_VL_3B["vision"].items():
            setattr(config.vision_config, key, value)
        config.text_config.head_dim = 128
        config.text_config.layer_types = ["full_attention"] * config.text_config.num_hidden_layers
        # M-RoPE sections sum to head_dim / 2, as in the 3B config.
        config.text_config.rope_parameters.update(rope_theta=1000000.0, mrope_section=[16, 24, 24])
        torch.set_default_dtype(torch.bfloat16)
        with torch.device("cuda"):
            model = Qwen2_5_VLForConditionalGeneration(config)
        torch.set_default_dtype(torch.float32)
        model.save_pretrained(path)
        del model
    return path


def judge(device: str, full_shape: bool, items: int, max_new_tokens: int) -> dict:
    """Part (b): samples/s of the transformers judge for k = 1 and k = 5 (model loading not timed)."""
    from r1_reward.data import toy
    from r1_reward.evaluate import load_benchmark, presentations
    from r1_reward.evaluate.models.hf import TransformersModel

    with tempfile.TemporaryDirectory() as tmp:
        model = judge_checkpoint(Path(tmp) / "model", full_shape)
        data = toy.write(Path(tmp) / "toy", n_train=2, n_test=items)["test"]
        batch = presentations(load_benchmark("toy", data), "both")
        model_judge = TransformersModel(model, temperature=1.0, max_new_tokens=max_new_tokens, device=device)
        params = sum(p.numel() for p in model_judge.model.parameters())
        model_judge.judge(batch[:2], 1)  # warm-up
        result = {"params": params, "presentations": len(batch), "max_new_tokens": max_new_tokens}
        for k in (1, 5):
            seconds = min(bench_algos.timed(lambda k=k: model_judge.judge(batch, k), device) for _ in range(2))
            result[f"k{k}_samples_per_s"] = len(batch) * k / seconds
        result["k5_over_k1_time"] = result["k1_samples_per_s"] * 5 / result["k5_samples_per_s"]
        model_judge.close()
    print(
        f"judge ({params / 1e9:.3g}B params): k=1 {result['k1_samples_per_s']:.3g} samples/s, "
        f"k=5 {result['k5_samples_per_s']:.3g} samples/s",
        flush=True,
    )
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dry-run", action="store_true", help="tiny shapes on CPU (checks the script, no figures)")
    parser.add_argument("--out", type=Path, required=True, help="JSON file for the figures")
    parser.add_argument("--repeats", type=int, default=None, help="timed rounds per side (default 20; dry run 3)")
    args = parser.parse_args(argv)
    device = "cpu" if args.dry_run else "cuda"
    if device == "cuda" and not torch.cuda.is_available():
        print("No CUDA device: run on a GPU machine, or pass --dry-run for the CPU check.", file=sys.stderr)
        return 2
    repeats = args.repeats or (3 if args.dry_run else 20)
    started = time.perf_counter()
    report = {
        "dry_run": args.dry_run,
        "device": torch.cuda.get_device_name() if device == "cuda" else "cpu",
        "torch": torch.__version__,
        "algos": algos(device, SHAPES["dry" if args.dry_run else "gpu"], repeats),
        "judge": judge(device, not args.dry_run, *((2, 8) if args.dry_run else (16, 64))),
        "engine_update": "not run: verl 0.9.1 builds its engine in Ray workers; no Ray-free single-GPU path written",
    }
    report["seconds"] = time.perf_counter() - started
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2))
    print(f"wrote {args.out} ({report['seconds']:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
