"""The fault matrix of issues #13 and #23 in one run: the judge, data and evaluator tables, every row checked.

``python benchmarks/fault_matrix.py [--part judge|data|eval|all]`` runs ``fault_matrix_judge.py`` (loopback judge
faults against the reward path: samples scored, excess reward over a correct judge, wall vs bound),
``fault_matrix_data.py`` (planted bad rows and whole-file faults against ``convert`` and ``select``: rows in =
written + rejected, reason, peak RSS) and ``fault_matrix_eval.py`` (bad items and a misbehaving judge against
``evaluate run``: exit code, presentations judged / skipped, reasons), and exits 1 if any row of any table does not
hold.
"""

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import fault_matrix_data  # noqa: E402
import fault_matrix_eval  # noqa: E402
import fault_matrix_judge  # noqa: E402

PARTS = {"judge": fault_matrix_judge.main, "data": fault_matrix_data.main, "eval": fault_matrix_eval.main}


def run_part(name: str) -> bool:
    """Run one table's own ``main`` (with no arguments of ours); True when every row held."""
    print(f"\n== {name} faults ==", flush=True)
    sys.argv = [f"fault_matrix_{name}.py"]
    try:
        PARTS[name]()
    except SystemExit as done:
        return done.code in (0, None)
    return True


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--part", choices=[*PARTS, "all"], default="all")
    part = parser.parse_args().part
    held = [run_part(name) for name in (PARTS if part == "all" else [part])]
    print("\nevery row holds" if all(held) else "\nSOME ROWS DO NOT HOLD")
    return 0 if all(held) else 1


if __name__ == "__main__":
    sys.exit(main())
