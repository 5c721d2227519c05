"""``python -m r1_reward.data {convert,annotate,select}``: the data stages before SFT and RL.

convert   preference sets → verl RL parquet (+ <output>.rejected.jsonl)
annotate  RL parquet → cold-start SFT parquet via an OpenAI-compatible annotator (resumable)
select    RL parquet + annotations → the hard RL subset (attempts >= 2 or never correct)
"""

import argparse
import os
import sys
from pathlib import Path

from r1_reward.data.formats import FORMATS


def convert_command(args: argparse.Namespace) -> int:
    from r1_reward.data.convert import ConvertError, Source, convert, parse_source
    from r1_reward.data.limits import RowLimits
    from r1_reward.data.publish import MANIFEST_SUFFIX

    try:
        sources = [parse_source(spec) for spec in args.source]
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    if args.input:
        if not args.format:
            raise SystemExit("--input needs --format (one of: " + ", ".join(FORMATS) + ")")
        sources += [Source(args.format, Path(path), args.cap) for path in args.input]
    if not sources:
        raise SystemExit("nothing to convert: pass --format F --input FILE, or --source [NAME=]FORMAT:PATH[:CAP]")
    limits = RowLimits(args.max_image_mb, args.max_image_pixels, args.max_aspect_ratio, args.max_text_chars)
    try:
        summary = convert(sources, args.output, args.image_root, args.seed, args.row_group_size, not args.quiet, limits)
    except ConvertError as error:
        if error.summary.rows_in:
            print(error.summary.text())
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(summary.text())
    print(f"wrote {args.output}; rejected rows in {args.output}.rejected.jsonl; both named in {args.output}"
          f"{MANIFEST_SUFFIX}")  # fmt: skip
    report_lengths(args)
    return 0


def report_lengths(args: argparse.Namespace) -> None:
    """Prompt lengths in the policy's tokens (``--processor``), or how to get them."""
    from r1_reward.data.lengths import load_processor, prompt_lengths

    if not args.processor:
        print("prompt lengths in tokens: pass --processor <policy model folder> to see them before training")
        return
    processor = load_processor(args.processor)
    print(prompt_lengths(args.output, processor, args.length_sample, args.seed, args.max_prompt_length,
                         not args.quiet).text())  # fmt: skip


def annotate_command(args: argparse.Namespace) -> int:
    from r1_reward.data.annotate import annotate, journal_path
    from r1_reward.data.annotator import Endpoint

    if not args.base_url or not args.model:
        raise SystemExit("annotate needs --base-url and --model (or OPENAI_BASE_URL / R1_REWARD_ANNOTATOR_MODEL)")
    endpoint = Endpoint(args.base_url, args.model, os.environ.get(args.api_key_env), max_tokens=args.max_tokens)
    summary = annotate(args.input, args.output, endpoint, args.concurrency, args.max_attempts, not args.quiet)
    print(summary.text())
    print(f"wrote {args.output}; annotations in {journal_path(Path(args.output))}")
    return 1 if summary.failed else 0


def select_command(args: argparse.Namespace) -> int:
    from r1_reward.data.annotate import journal_path
    from r1_reward.data.select import SelectError, select

    journal = Path(args.annotations) if args.annotations else journal_path(Path(args.sft))
    if not journal.exists():
        raise SystemExit(f"no annotations at {journal}: run 'python -m r1_reward.data annotate' first")
    try:
        summary = select(args.input, journal, args.output, args.min_attempts, None if args.keep_order else args.seed)
    except SelectError as error:
        summary = error.summary
        print(f"error: {error}", file=sys.stderr)
    print(summary.text())
    if summary.unannotated:
        print(f"{summary.unannotated} rows have no annotation yet: rerun annotate to finish them", file=sys.stderr)
    return 1 if summary.unannotated or not summary.selected else 0


def add_convert(commands: argparse._SubParsersAction) -> None:
    """The ``convert`` sub-command's options."""
    conv = commands.add_parser("convert", help="preference sets -> verl RL parquet")
    conv.add_argument("--format", choices=sorted(FORMATS), help="format of every --input file")
    conv.add_argument("--input", action="append", default=[], help=".jsonl/.json/.parquet (repeatable)")
    conv.add_argument("--cap", type=int, default=None, help="sample at most this many rows from each --input")
    conv.add_argument("--source", action="append", default=[], help="[NAME=]FORMAT:PATH[:CAP] (repeatable, to mix)")
    conv.add_argument("--image-root", default=None, help="directory that image paths are relative to")
    conv.add_argument("--output", required=True, help="output .parquet")
    conv.add_argument("--seed", type=int, default=0, help="seed of the answer-order balancing and of cap sampling")
    conv.add_argument("--row-group-size", type=int, default=512, help="rows per parquet row group (memory bound)")
    add_limits(conv)
    add_lengths(conv)
    conv.add_argument("--quiet", action="store_true", help="no progress bars")
    conv.set_defaults(run=convert_command)


def add_lengths(conv: argparse.ArgumentParser) -> None:
    """The token-length report after writing (``r1_reward.data.lengths``)."""
    from r1_reward.data.lengths import DEFAULT_MAX_PROMPT_LENGTH

    conv.add_argument("--processor", default=None, help="policy model folder: report prompt lengths in its tokens")
    conv.add_argument("--length-sample", type=int, default=1000, help="rows measured for that report (0: all)")
    conv.add_argument(
        "--max-prompt-length", type=int, default=DEFAULT_MAX_PROMPT_LENGTH, help="the limit the report counts against"
    )


def add_limits(conv: argparse.ArgumentParser) -> None:
    """Row caps (``RowLimits``); a row over one is quarantined, naming the option that raises it."""
    from r1_reward.data.limits import RowLimits

    default = RowLimits()
    conv.add_argument("--max-image-mb", type=float, default=default.max_image_mb, help="max encoded image file size")
    conv.add_argument("--max-image-pixels", type=int, default=default.max_image_pixels, help="max width x height")
    conv.add_argument(
        "--max-aspect-ratio", type=float, default=default.max_aspect_ratio, help="max long/short side (Qwen2.5-VL: 200)"
    )
    conv.add_argument(
        "--max-text-chars", type=int, default=default.max_text_chars, help="max characters of question + responses"
    )


def add_annotate(commands: argparse._SubParsersAction) -> None:
    """The ``annotate`` sub-command's options."""
    ann = commands.add_parser("annotate", help="cold-start SFT data from an OpenAI-compatible annotator")
    ann.add_argument("--input", required=True, help="RL parquet from convert")
    ann.add_argument("--output", required=True, help="SFT parquet; <output>.annotations.jsonl is the journal")
    ann.add_argument("--base-url", default=os.environ.get("OPENAI_BASE_URL"), help="e.g. http://127.0.0.1:8000/v1")
    ann.add_argument("--model", default=os.environ.get("R1_REWARD_ANNOTATOR_MODEL"), help="e.g. gpt-4o")
    ann.add_argument("--api-key-env", default="OPENAI_API_KEY", help="environment variable holding the API key")
    ann.add_argument("--concurrency", type=int, default=8, help="requests in flight at once")
    ann.add_argument("--max-attempts", type=int, default=3, help="attempts per row (paper: 3)")
    ann.add_argument("--max-tokens", type=int, default=4096, help="max tokens per reply")
    ann.add_argument("--quiet", action="store_true", help="no progress bars")
    ann.set_defaults(run=annotate_command)


def add_select(commands: argparse._SubParsersAction) -> None:
    """The ``select`` sub-command's options."""
    sel = commands.add_parser("select", help="hard RL subset: attempts >= 2 or never correct")
    sel.add_argument("--input", required=True, help="RL parquet that was annotated")
    sel.add_argument("--sft", help="the SFT parquet given to annotate (its journal is read)")
    sel.add_argument("--annotations", help="the journal itself (instead of --sft)")
    sel.add_argument("--output", required=True, help="output RL parquet")
    sel.add_argument("--min-attempts", type=int, default=2, help="attempts that make a row hard (paper: 2)")
    sel.add_argument("--seed", type=int, default=0, help="seed of re-balancing the subset's answer order 1:1")
    sel.add_argument("--keep-order", action="store_true", help="keep each row's answer order (no re-balancing)")
    sel.set_defaults(run=select_command)


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(
        prog="python -m r1_reward.data", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    commands = top.add_subparsers(dest="command", required=True)
    add_convert(commands)
    add_annotate(commands)
    add_select(commands)
    return top


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
