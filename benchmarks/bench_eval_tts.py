"""Cost of test-time scaling with the transformers judge: k = 5 samples per prompt vs k = 1, measured side by side.

Builds the tiny random Qwen2.5-VL and toy items offline, then times judging the same presentations with k = 1,
with k = 5 drawn in one batched ``generate`` (``num_return_sequences``), and with k = 5 drawn as five k = 1 passes
(what a one-sample-at-a-time script does). Same temperature and token budget throughout; model loading is not timed.
Target: batched k = 5 costs well under 5x k = 1.

    PYTHONPATH=$PWD python benchmarks/bench_eval_tts.py [--items 8] [--max-new-tokens 48] [--repeats 3]
"""

import argparse
import os
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from r1_reward.cpu import tiny_model  # noqa: E402
from r1_reward.data import toy  # noqa: E402
from r1_reward.evaluate import load_benchmark, presentations  # noqa: E402
from r1_reward.evaluate.models.hf import TransformersModel  # noqa: E402


def _best_times(fns: dict, repeats: int) -> dict[str, tuple[float, float]]:
    """Best (wall, CPU) seconds of each function over ``repeats`` rounds, interleaved so load changes hit all alike.

    CPU time (all threads of this process) is the steadier figure on a shared machine; wall time is what users wait.
    """
    best = dict.fromkeys(fns, (float("inf"), float("inf")))
    for _ in range(repeats):
        for name, fn in fns.items():
            wall, cpu = time.perf_counter(), time.process_time()
            fn()
            took = (time.perf_counter() - wall, time.process_time() - cpu)
            best[name] = (min(best[name][0], took[0]), min(best[name][1], took[1]))
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=8, help="toy items (even); judged in both slots")
    parser.add_argument("--max-new-tokens", type=int, default=48)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        model = tiny_model.build(Path(tmp) / "model")["vl"]
        data = toy.write(Path(tmp) / "toy", n_train=2, n_test=args.items)["test"]
        batch = presentations(load_benchmark("toy", data), "both")
        judge = TransformersModel(model, temperature=1.0, max_new_tokens=args.max_new_tokens)
        judge.judge(batch[:2], 1)  # warm-up
        times = _best_times(
            {
                "one": lambda: judge.judge(batch, 1),
                "batched": lambda: judge.judge(batch, 5),
                "serial": lambda: [judge.judge(batch, 1) for _ in range(5)],
            },
            args.repeats,
        )
    print(f"presentations: {len(batch)}, max_new_tokens: {args.max_new_tokens}, cpus: {os.cpu_count()}")
    for index, clock in enumerate(("wall", "cpu")):
        one, batched, serial = (times[name][index] for name in ("one", "batched", "serial"))
        print(f"[{clock}] k=1: {one:.2f} s | k=5 batched: {batched:.2f} s | k=5 as 5 passes: {serial:.2f} s")
        print(
            f"[{clock}] ratio k=5 batched / k=1: {batched / one:.2f}x (target well under 5x); "
            f"k=5 as 5 passes / k=1: {serial / one:.2f}x (reference)"
        )


if __name__ == "__main__":
    main()
