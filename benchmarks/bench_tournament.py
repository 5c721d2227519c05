"""Cost of the GRPO tournament reward per pairing mode, against a loopback judge with a fixed latency.

Scores 128 prompts x 8 rollouts (one ~20 KB image per prompt, sent with every judge request) the way a reward
worker does (``r1_reward.tournament.pairing.play`` + ``PairJudge``: one shared session, at most ``--concurrency``
requests in flight, all groups in flight together) against ``r1_reward.testing.loopback_pairwise`` in its own process
(prefers the longer response; ``--latency-s`` per reply). Per mode it prints the calls, the wall time, the ideal
ceil(calls / concurrency) x latency (target: wall <= 1.3x ideal) and the time of one blocking call at a time
(target: >= 30x slower than ours). The blocking baseline (a fresh connection and a wait per call, the sequential
pattern of public pairwise-judge GRPO code) would take calls x latency, i.e. minutes; it is timed on
``--sequential-calls`` real calls and extrapolated per call, which the output says. Rewards are checked against the
judge's known preference (round robin: Score = number of shorter responses). The CPU seconds our client and the
judge process spent per mode are printed too: when the machine is shared, wall/ideal is bounded below by how much
of that CPU time the two processes get, not by the client's waiting.

    PYTHONPATH=$PWD python benchmarks/bench_tournament.py [--prompts 128 --rollouts 8 --latency-s 0.2 --concurrency 64]
"""

import argparse
import asyncio
import io
import json
import math
import socket
import subprocess
import sys
import time
import urllib.request

import numpy as np
import psutil
from PIL import Image
from tqdm import tqdm

from r1_reward.tournament.pair_judge import GroupPrompt, PairJudge, PairJudgeSettings, p_first_of
from r1_reward.tournament.pairing import MODES, Match, calls_per_group, play

IDEAL_TARGET, SPEEDUP_TARGET = 1.3, 30.0


def image(seed: int) -> bytes:
    """A noisy 96 x 96 PNG (~20 KB: noise does not compress), different per prompt."""
    pixels = np.random.default_rng(seed).integers(0, 256, (96, 96, 3), dtype=np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG")
    return buffer.getvalue()


def groups(prompts: int, rollouts: int) -> list[tuple[GroupPrompt, list[str]]]:
    """Each prompt's question, image and rollouts of distinct lengths (so the judge's preference is a strict order)."""
    out = []
    for p in range(prompts):
        responses = [f"Answer {p}.{k}: " + "x" * ((k * 5 + p) % (rollouts * 5)) for k in range(rollouts)]
        out.append((GroupPrompt.build(f"Question {p}: what is shown?", [image(p)]), responses))
    return out


def start_server(latency_s: float) -> tuple[subprocess.Popen, str]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [
        sys.executable,
        "-m",
        "r1_reward.testing.loopback_pairwise",
        "--port",
        str(port),
        "--latency-s",
        str(latency_s),
    ]
    server = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    server.stdout.readline()  # "loopback pairwise judge at ..." once it listens
    return server, f"http://127.0.0.1:{port}/v1"


def cpu_seconds(process: psutil.Process) -> float:
    times = process.cpu_times()
    return times.user + times.system


async def ours(mode: str, data: list, base_url: str, concurrency: int) -> tuple[list[list[float]], int, float]:
    """(scores per group, judge calls, wall seconds) with every group in flight at once."""
    judge = PairJudge(PairJudgeSettings(base_url=base_url, model="r1", concurrency=concurrency), name="endpoint")
    bar = tqdm(total=len(data), desc=f"{mode} (concurrent)", leave=False, mininterval=2.0)

    async def one(seed: int, group: GroupPrompt, responses: list[str]):
        result = await play(mode, len(responses), seed, lambda m: judge.judge(group, responses, m))
        bar.update()
        return result

    started = time.perf_counter()
    try:
        results = await asyncio.gather(*(one(k, group, responses) for k, (group, responses) in enumerate(data)))
    finally:
        await judge.close()
        bar.close()
    return [scores for scores, _ in results], sum(len(v) for _, v in results), time.perf_counter() - started


def sequential_per_call(data: list, base_url: str, calls: int) -> float:
    """Seconds per call of the blocking pattern: one request at a time, a fresh connection each, over ``calls``."""
    judge = PairJudge(PairJudgeSettings(base_url=base_url, model="r1"), name="endpoint")
    matches = [
        (group, responses, m)
        for group, responses in data
        for m in (Match(i, j) for i in range(len(responses)) for j in range(len(responses)) if i != j)
    ][:calls]
    started = time.perf_counter()
    for group, responses, match in tqdm(matches, desc="sequential one-call-at-a-time", leave=False, mininterval=2.0):
        body = json.dumps(judge.body(group, responses[match.first], responses[match.second])).encode()
        request = urllib.request.Request(
            base_url + "/chat/completions", data=body, headers={"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            p_first_of(json.load(response))
    return (time.perf_counter() - started) / len(matches)


def check_round_robin(scores: list[list[float]], data: list) -> None:
    for group_scores, (_, responses) in zip(scores, data):
        lengths = [len(r) for r in responses]
        expected = [float(sum(x > y for y in lengths)) for x in lengths]
        assert group_scores == expected, "round-robin scores differ from the judge's known preference"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--prompts", type=int, default=128)
    parser.add_argument("--rollouts", type=int, default=8)
    parser.add_argument("--latency-s", type=float, default=0.2)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--sequential-calls", type=int, default=50)
    args = parser.parse_args()
    data = groups(args.prompts, args.rollouts)
    server, base_url = start_server(args.latency_s)
    try:
        per_call = sequential_per_call(data, base_url, args.sequential_calls)
        print(
            f"{args.prompts} prompts x {args.rollouts} rollouts, judge latency {args.latency_s * 1000:.0f} ms, "
            f"concurrency {args.concurrency}; blocking baseline: {per_call * 1000:.0f} ms/call measured over "
            f"{args.sequential_calls} calls, extrapolated to each mode's calls"
        )
        print(
            f"{'mode':<22} {'calls/group':>11} {'calls':>6} {'wall s':>7} {'ideal s':>7} {'wall/ideal':>10} "
            f"{'blocking s':>10} {'speed-up':>8} {'CPU s client+judge':>18}"
        )
        client, judge = psutil.Process(), psutil.Process(server.pid)
        for mode in MODES:
            cpu_before = (cpu_seconds(client), cpu_seconds(judge))
            scores, calls, wall = asyncio.run(ours(mode, data, base_url, args.concurrency))
            cpu = (cpu_seconds(client) - cpu_before[0], cpu_seconds(judge) - cpu_before[1])
            assert calls == args.prompts * calls_per_group(mode, args.rollouts)
            if mode == "round_robin":
                check_round_robin(scores, data)
            ideal = math.ceil(calls / args.concurrency) * args.latency_s
            blocking = calls * per_call
            print(
                f"{mode:<22} {calls_per_group(mode, args.rollouts):>11} {calls:>6} {wall:>7.2f} {ideal:>7.2f} "
                f"{wall / ideal:>9.2f}x {blocking:>10.0f} {blocking / wall:>7.0f}x {cpu[0]:>9.1f}+{cpu[1]:<8.1f}"
            )
        print(f"targets: wall/ideal <= {IDEAL_TARGET}x, speed-up >= {SPEEDUP_TARGET:.0f}x")
    finally:
        server.terminate()
        server.wait()


if __name__ == "__main__":
    main()
