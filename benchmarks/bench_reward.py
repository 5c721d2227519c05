"""Reward throughput with a remote consistency judge: our concurrent judge client vs one blocking call per sample.

Scores N rollouts (default 256, all right answers, so every one needs a judge call) against a loopback judge
server (a separate process, fixed service latency) in one run, first the sequential pattern of the authors'
release (parse, then one blocking HTTP call at a time), then ours (``score_outputs`` with the ``endpoint``
``ChatJudge``: bounded concurrency, one shared session). Prints the speed-up (target >= 20x) and ours against
the ideal ceil(calls / concurrency) x latency (target within 1.5x). Both must give identical rewards.
The default 200 ms is a plausible service time for a 7B VLM judge giving a one-token verdict under load. Ours also
pays a fixed cost (connections, both processes' HTTP handling: ~0.3 s for 256 calls on a busy 2-core machine),
printed as "overhead"; it is why a very small latency (e.g. 50 ms) lands further from the ideal.

    PYTHONPATH=$PWD python benchmarks/bench_reward.py [--rollouts 256 --latency-s 0.2 --concurrency 64]
"""

import argparse
import asyncio
import json
import math
import socket
import subprocess
import sys
import time
import urllib.request

from tqdm import tqdm

from r1_reward.judge.base import JudgeRequest
from r1_reward.judge.chat import ChatJudge
from r1_reward.judge.config import JudgeConfig
from r1_reward.judge.prompt import judge_prompt, parse_verdict
from r1_reward.parse import parse_output
from r1_reward.reward.formula import RewardWeights, final_reward
from r1_reward.reward.scoring import score_outputs

SPEEDUP_TARGET, IDEAL_TARGET = 20.0, 1.5


def rollouts(count: int) -> list[str]:
    """Distinct right answers (ground truth "1"), half of them with an inconsistent reasoning."""
    return [f"<think>Case {i}: Response {1 + i % 2} is better.</think><answer>1</answer>" for i in range(count)]


def start_server(latency_s: float) -> tuple[subprocess.Popen, str]:
    """The loopback judge in its own process (so it does not share our interpreter), on a free 127.0.0.1 port."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [
        sys.executable,
        "-m",
        "r1_reward.testing.loopback_judge",
        "--port",
        str(port),
        "--latency-s",
        str(latency_s),
    ]
    server = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    server.stdout.readline()  # "loopback judge at ..." once it listens
    return server, f"http://127.0.0.1:{port}/v1"


def sequential(texts: list[str], base_url: str, weights: RewardWeights) -> list[float]:
    """The one-blocking-call-per-sample pattern: a fresh connection and a wait for every judged sample."""
    scores = []
    for text in tqdm(texts, desc="sequential one-call-at-a-time", leave=False, mininterval=2.0):
        parsed = parse_output(text)
        result = float(parsed.answer == "1")
        consistency = 0.0
        if result and parsed.think is not None:
            body = {
                "model": "judge",
                "max_tokens": 2,
                "temperature": 0.0,
                "messages": [
                    {"role": "user", "content": judge_prompt(JudgeRequest(parsed.think, parsed.answer), 4000)}
                ],
            }
            request = urllib.request.Request(
                base_url + "/chat/completions",
                data=json.dumps(body).encode(),
                headers={"Content-Type": "application/json"},
            )
            with urllib.request.urlopen(request, timeout=30) as response:
                reply = json.load(response)["choices"][0]["message"]["content"]
            consistency = float(parse_verdict(reply) is True)
        scores.append(final_reward(result, consistency, float(parsed.format_ok), weights))
    return scores


async def concurrent(texts: list[str], base_url: str, weights: RewardWeights, concurrency: int) -> list[float]:
    config = JudgeConfig(backend="endpoint", base_url=base_url, model="judge", concurrency=concurrency)
    judge = ChatJudge(config, name="endpoint")
    try:
        return [s["score"] for s in await score_outputs(texts, ["1"] * len(texts), judge, weights, "fail")]
    finally:
        await judge.close()


def timed(function, *args) -> tuple[list[float], float]:
    started = time.perf_counter()
    result = function(*args)
    return result, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rollouts", type=int, default=256)
    parser.add_argument("--latency-s", type=float, default=0.2)
    parser.add_argument("--concurrency", type=int, default=64)
    args = parser.parse_args()
    if args.latency_s <= 0 or args.concurrency < 1 or args.rollouts < 1:
        parser.error("--latency-s must be > 0, --concurrency and --rollouts >= 1")
    texts, weights = rollouts(args.rollouts), RewardWeights()
    server, base_url = start_server(args.latency_s)
    try:
        baseline, t_seq = timed(sequential, texts, base_url, weights)
        ours, t_ours = timed(lambda: asyncio.run(concurrent(texts, base_url, weights, args.concurrency)))
    finally:
        server.terminate()
        server.wait()
    assert ours == baseline, "the two patterns must give identical rewards"
    ideal = math.ceil(len(texts) / args.concurrency) * args.latency_s
    speedup, vs_ideal = t_seq / t_ours, t_ours / ideal
    print(
        f"rollouts {len(texts)}, judge calls {len(texts)}, latency {args.latency_s * 1000:.0f} ms, "
        f"concurrency {args.concurrency}, mean reward {sum(ours) / len(ours):.3f}"
    )
    print(
        f"sequential {t_seq:.3f} s | ours {t_ours:.3f} s | speed-up {speedup:.1f}x (target >= {SPEEDUP_TARGET:.0f}x: "
        f"{'PASS' if speedup >= SPEEDUP_TARGET else 'FAIL'})"
    )
    print(
        f"ideal ceil({len(texts)}/{args.concurrency}) x {args.latency_s:.3f} s = {ideal:.3f} s | ours / ideal "
        f"{vs_ideal:.2f}x (target <= {IDEAL_TARGET}x: {'PASS' if vs_ideal <= IDEAL_TARGET else 'FAIL'}) | "
        f"overhead {t_ours - ideal:.3f} s"
    )


if __name__ == "__main__":
    main()
