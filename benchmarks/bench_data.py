"""Benchmark of ``convert``: 50,000 synthetic pairs with ~20 KB images → verl parquet (target: peak RSS < 1.5 GB).

Measured side by side in one run, each in a fresh child process so peak RSS is its own:
  floor    reading every source row and image file, nothing else (the I/O floor on this machine);
  convert  the real ``r1_reward.data.convert`` (decode check, prompt, balancing, parquet row groups, quarantine).
Prints rows/s and MB/s for both, convert/floor time ratio, peak RSS, and peak RSS / target.

    PYTHONPATH=$PWD python benchmarks/bench_data.py [--pairs 50000] [--workdir /tmp/bench_data]
"""

import argparse
import json
import multiprocessing
import random
import resource
import shutil
import time
from pathlib import Path

from PIL import Image
from tqdm import tqdm

TARGET_RSS_GB = 1.5


def noise_jpeg(path: Path, rng: random.Random, side: int = 168) -> None:
    """A ~20 KB JPEG of coloured noise (incompressible enough to stay near that size)."""
    Image.frombytes("RGB", (side, side), rng.randbytes(side * side * 3)).save(path, format="JPEG", quality=80)


def make_source(workdir: Path, pairs: int) -> Path:
    """``pairs`` JSONL rows in the generic pairwise format, each with its own image file."""
    rng = random.Random(0)
    images = workdir / "images"
    images.mkdir(parents=True)
    source = workdir / "pairs.jsonl"
    with source.open("w") as handle:
        for index in tqdm(range(pairs), desc="make synthetic pairs"):
            noise_jpeg(images / f"{index}.jpg", rng)
            row = {
                "id": index,
                "question": f"What is in picture {index}? " * 4,
                "image": f"{index}.jpg",
                "chosen": f"A detailed correct answer {index}. " * 12,
                "rejected": f"A wrong answer {index}. " * 12,
            }
            handle.write(json.dumps(row) + "\n")
    return source


def floor_pass(source: Path, images: Path, out: dict) -> None:
    """Read each row and its image file: what any converter must at least do."""
    start = time.perf_counter()
    total = 0
    with source.open() as handle:
        for line in handle:
            total += len((images / json.loads(line)["image"]).read_bytes())
    out.update(seconds=time.perf_counter() - start, image_bytes=total)


def convert_pass(source: Path, images: Path, output: Path, out: dict) -> None:
    from r1_reward.data import Source, convert

    start = time.perf_counter()
    summary = convert([Source("pairwise", source)], output, images, progress=False)
    out.update(
        seconds=time.perf_counter() - start,
        written=summary.written,
        rejected=summary.rejected,
        labels=dict(summary.labels),
    )


def _child(target, args, out) -> None:
    target(*args, out)
    out["peak_rss_gb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20  # Linux reports KiB


def measured(target, *args) -> dict:
    """Run ``target`` in a fresh process; its result plus that process's peak RSS in GB."""
    with multiprocessing.Manager() as manager:
        out = manager.dict()
        process = multiprocessing.get_context("spawn").Process(target=_child, args=(target, args, out))
        process.start()
        process.join()
        if process.exitcode != 0:
            raise RuntimeError(f"{target.__name__} failed with exit code {process.exitcode}")
        return dict(out)


def report(pairs: int, workdir: Path, floor: dict, result: dict) -> None:
    image_mb = sum(f.stat().st_size for f in (workdir / "images").iterdir()) / 2**20
    output_mb = (workdir / "out.parquet").stat().st_size / 2**20
    print(
        f"pairs {pairs}, images {image_mb:.0f} MB (mean {image_mb * 1024 / pairs:.1f} KB), parquet {output_mb:.0f} MB"
    )
    for name, run in (("floor", floor), ("convert", result)):
        print(
            f"{name:8s} {run['seconds']:7.1f} s  {pairs / run['seconds']:8.0f} rows/s  "
            f"{image_mb / run['seconds']:6.1f} MB/s  peak RSS {run['peak_rss_gb']:.2f} GB"
        )
    print(f"convert/floor time ratio {result['seconds'] / floor['seconds']:.2f}")
    print(f"peak RSS / target ({TARGET_RSS_GB} GB) = {result['peak_rss_gb'] / TARGET_RSS_GB:.2f}")
    print(f"written {result['written']}, rejected {result['rejected']}, labels {result['labels']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pairs", type=int, default=50_000, help="synthetic pairs to convert")
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/bench_data"), help="scratch directory (removed)")
    args = parser.parse_args()
    shutil.rmtree(args.workdir, ignore_errors=True)
    source = make_source(args.workdir, args.pairs)
    images = args.workdir / "images"
    floor = measured(floor_pass, source, images)
    result = measured(convert_pass, source, images, args.workdir / "out.parquet")
    report(args.pairs, args.workdir, floor, result)
    shutil.rmtree(args.workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
