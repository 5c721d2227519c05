"""benchmarks/fault_matrix_judge.py: every row of the judge fault table holds (scored, excess <= 0, wall <= bound)."""

import benchmark_scripts
import pytest

# The whole judge fault table against loopback servers (about a minute): the e2e tier.
pytestmark = pytest.mark.e2e


def test_every_judge_fault_row_holds() -> None:
    module = benchmark_scripts.load("fault_matrix_judge")
    rows = module.judge_fault_rows()
    assert len(rows) == len(module.CASES) == 12
    assert [row["case"] for row in rows if not row["holds"]] == []
    assert max(row["excess_reward"] for row in rows) <= 0.0
