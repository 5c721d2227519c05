"""``python -m r1_reward.evaluate {run,score}``: judge a reward benchmark, or rescore saved predictions.

Example: ``python -m r1_reward.evaluate run --benchmark vl_rewardbench --data vl_rewardbench.jsonl --judge longer
--order both --out results.json`` writes ``results.json``, ``results.md`` and ``results.predictions.jsonl``.
An item whose media cannot be read, or on which the judge gives up, is skipped and counted (``--strict``: stop at
it). Exit status: 0 when the run completed (skipped items are in the report), 1 when it could not start, stopped,
or judged nothing.
"""

import argparse
import sys
from pathlib import Path
from typing import Any

from r1_reward.evaluate import report
from r1_reward.evaluate.items import ORDER_MODES, InputError
from r1_reward.evaluate.loaders import BENCHMARKS, load_benchmark
from r1_reward.evaluate.models import MODEL_NAMES, make_model
from r1_reward.evaluate.runner import RunStopped, evaluate, score
from r1_reward.openai_chat import ChatError

# --max-new-tokens when not given: the toy task's replies are under 48 tokens (1024 made its eval take 10.5 min on a
# CPU); the real benchmarks get room for the paper's long reasoning.
MAX_NEW_TOKENS = {"toy": 48}
DEFAULT_MAX_NEW_TOKENS = 1024


def _run_args(sub: argparse.ArgumentParser) -> None:
    sub.add_argument("--benchmark", required=True, choices=BENCHMARKS)
    sub.add_argument("--data", required=True, help="the benchmark file (jsonl / json / parquet)")
    sub.add_argument("--judge", required=True, choices=MODEL_NAMES)
    sub.add_argument("--order", default="both", choices=ORDER_MODES, help="answer order shown to the judge")
    sub.add_argument("--samples", type=int, default=1, help="k samples per presentation (test-time scaling)")
    sub.add_argument("--seed", type=int, default=0, help="seeds the random judge and --order random")
    sub.add_argument("--out", required=True, help="metrics JSON; .md and .scaling.png are written beside it")
    sub.add_argument("--predictions", help="predictions JSONL (default: <out>.predictions.jsonl); reruns resume it")
    sub.add_argument("--batch-size", type=int, default=16)
    sub.add_argument("--limit", type=int, help="judge only the first N rows")
    sub.add_argument(
        "--media-root",
        help="folder the benchmark's image/video paths are relative to, and that every one must resolve inside "
        "(default: the --data file's folder; pass a wider folder to allow paths outside it)",
    )
    sub.add_argument(
        "--strict",
        action="store_true",
        help="stop at the first item whose media cannot be read or on which the judge gives up (default: skip it, "
        "record why in the predictions and count it in the report)",
    )
    sub.add_argument("--model", help="local checkpoint folder (transformers, vllm)")
    sub.add_argument("--base-url", help="OpenAI-compatible endpoint, e.g. http://127.0.0.1:8000/v1 (endpoint)")
    sub.add_argument("--model-name", help="model name sent to the endpoint")
    sub.add_argument("--temperature", type=float, help="default: 0 (greedy) for k = 1, 1.0 for k > 1")
    sub.add_argument(
        "--max-new-tokens", type=int, help=f"reply length cap (default: {MAX_NEW_TOKENS} per benchmark, else 1024)"
    )
    sub.add_argument("--concurrency", type=int, default=8, help="requests in flight (endpoint)")
    sub.add_argument(
        "--retries",
        type=int,
        default=4,
        help="tries after the first failed one, per request (endpoint); then the presentation is skipped",
    )
    sub.add_argument("--device", default="cpu", help="torch device (transformers)")


def max_new_tokens(args: argparse.Namespace) -> int:
    """``--max-new-tokens``, or the benchmark's default."""
    if args.max_new_tokens is not None:
        return args.max_new_tokens
    return MAX_NEW_TOKENS.get(args.benchmark, DEFAULT_MAX_NEW_TOKENS)


def _judge_options(args: argparse.Namespace) -> dict[str, Any]:
    """Options the chosen model backend takes; baselines take none."""
    if args.judge == "endpoint":
        return {"temperature": args.temperature, "max_tokens": max_new_tokens(args), "concurrency": args.concurrency,
                "retries": args.retries}  # fmt: skip
    if args.judge == "transformers":
        return {"temperature": args.temperature, "max_new_tokens": max_new_tokens(args), "device": args.device}
    if args.judge == "vllm":
        return {"temperature": args.temperature, "max_new_tokens": max_new_tokens(args)}
    return {}


def _run(args: argparse.Namespace) -> dict[str, Any]:
    items = load_benchmark(args.benchmark, args.data, limit=args.limit)
    judge = make_model(
        args.judge,
        seed=args.seed,
        model=args.model,
        media_root=args.media_root or str(Path(args.data).resolve().parent),
        base_url=args.base_url,
        model_name=args.model_name,
        **_judge_options(args),
    )
    try:
        return evaluate(
            items,
            judge,
            benchmark=args.benchmark,
            out=args.out,
            order=args.order,
            samples=args.samples,
            seed=args.seed,
            batch_size=args.batch_size,
            predictions=args.predictions,
            strict=args.strict,
        )
    finally:
        judge.close()


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="python -m r1_reward.evaluate", description=__doc__.splitlines()[0])
    subs = top.add_subparsers(dest="command", required=True)
    _run_args(subs.add_parser("run", help="judge a benchmark (resumes an existing predictions file)"))
    scorer = subs.add_parser("score", help="recompute every metric from a predictions file, no judge")
    scorer.add_argument("--predictions", required=True)
    scorer.add_argument("--out", required=True)
    return top


def main(argv: list[str] | None = None) -> dict[str, Any]:
    args = parser().parse_args(argv)
    metrics = _run(args) if args.command == "run" else score(args.predictions, args.out)
    print(report.markdown(metrics))
    return metrics


def cli(argv: list[str] | None = None) -> None:
    """``main`` for the command line: an unusable input, a stopped run or a run that judged nothing exits 1 with its
    message (no traceback); skipped items are named on stderr."""
    try:
        metrics = main(argv)
    except (InputError, FileNotFoundError, RunStopped, ChatError) as error:
        print(f"error: {error}", file=sys.stderr)
        raise SystemExit(1) from None
    if metrics.get("n_skipped"):
        reasons = ", ".join(f"{kind} {count}" for kind, count in metrics["skipped_reasons"].items())
        print(f"warning: {metrics['n_skipped']} presentations skipped ({reasons}): see the report", file=sys.stderr)
    if not metrics["n_presentations"]:
        print("error: no presentation could be judged: see the skipped reasons above", file=sys.stderr)
        raise SystemExit(1)


if __name__ == "__main__":
    cli()
