"""The package's layering (shared/DESIGN.md): checked on the import statements of every module, so a new edge fails
here. Arrows point down; only verl_glue/ (and the CPU glue in cpu/) know verl internals."""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "r1_reward"


def imported_modules(path: Path) -> set[str]:
    """Every absolute module an ``import`` / ``from ... import`` statement in ``path`` names (lazy imports too)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def offenders(folder: str | None, forbidden: str) -> list[str]:
    """Modules outside (``folder=None``: all but ``forbidden``'s own) or inside ``folder`` that import ``forbidden``."""
    own = PACKAGE / forbidden.removeprefix("r1_reward.").replace(".", "/")
    paths = sorted((PACKAGE / folder).rglob("*.py")) if folder else sorted(PACKAGE.rglob("*.py"))
    return [
        str(path.relative_to(PACKAGE.parent))
        for path in paths
        if not path.is_relative_to(own)
        and any(name == forbidden or name.startswith(forbidden + ".") for name in imported_modules(path))
    ]


@pytest.mark.parametrize(
    ("folder", "forbidden"),
    [
        (None, "r1_reward.cpu"),  # only the CPU profile (by module name in config) and tests reach cpu/
        ("judge", "r1_reward.reward"),  # the judge sits below the reward
        ("data", "r1_reward.reward"),
        ("evaluate", "r1_reward.reward"),
        ("reward", "r1_reward.tournament"),  # the tournament builds on the reward, never the reverse
        ("tournament", "r1_reward.evaluate"),  # training code never depends on the benchmark runner
        ("reward", "r1_reward.evaluate"),
        ("judge", "r1_reward.evaluate"),
        ("algos", "r1_reward.evaluate"),
        ("verl_glue", "r1_reward.evaluate"),
        (None, "r1_reward.testing"),  # fakes are for tests and benchmarks, never a training run
    ],
)
def test_no_module_imports_across_a_layer(folder, forbidden):
    assert offenders(folder, forbidden) == []


# verl internals: the trainer, its Ray controller, its entry point and the TransferQueue it keeps batches in. The
# registries in verl.trainer.ppo.core_algos and the reward-manager registry are public extension points.
VERL_INTERNALS = ("verl.trainer.ppo", "verl.single_controller", "verl.trainer.main_ppo", "transfer_queue")
VERL_PUBLIC = ("verl.trainer.ppo.core_algos",)
# Where verl internals may be touched: the glue folders, and the entry point that hands the config to run_ppo.
GLUE = ("verl_glue", "cpu")
ENTRY_POINT_USES = {"main_ppo.py": {"verl.trainer.main_ppo", "verl.trainer.ppo.utils"}}


def verl_internals_used(path: Path) -> set[str]:
    """The verl internals and private verl names ``path`` imports."""
    used = set()
    for name in imported_modules(path):
        if name.startswith(VERL_PUBLIC):
            continue
        if name.startswith(VERL_INTERNALS) or (name.startswith("verl.") and name.rsplit(".", 1)[-1].startswith("_")):
            used.add(name)
    return used


def test_only_the_glue_folders_touch_verl_internals():
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE)
        if relative.parts[0] in GLUE:
            continue
        used = {
            name
            for name in verl_internals_used(path)
            if not name.startswith(tuple(ENTRY_POINT_USES.get(str(relative), ())))
        }
        if used:
            found[str(relative)] = sorted(used)
    assert found == {}


def test_the_verl_rule_sees_private_names_and_internal_modules(tmp_path):
    module = tmp_path / "m.py"
    module.write_text("from verl.workers.rollout.base import _ROLLOUT_REGISTRY\nimport transfer_queue as tq\n")
    assert verl_internals_used(module) == {"verl.workers.rollout.base._ROLLOUT_REGISTRY", "transfer_queue"}


def test_the_check_sees_lazy_imports(tmp_path):
    module = tmp_path / "m.py"
    module.write_text("def f():\n    from r1_reward.cpu import platform\n")
    assert "r1_reward.cpu" in imported_modules(module)


def unit_arrows() -> set[tuple[str, str]]:
    """(importer, imported) between the package's units: its sub-packages and top-level modules."""
    arrows = set()
    for path in sorted(PACKAGE.rglob("*.py")):
        source = path.relative_to(PACKAGE).with_suffix("").parts[0]
        for name in imported_modules(path):
            parts = name.split(".")
            if parts[0] == "r1_reward" and len(parts) > 1 and parts[1] != source:
                arrows.add((source, parts[1]))
    return arrows


def test_no_two_units_import_each_other():
    # run_folder <-> verl_glue was one (run_logs read the step-log variable from run_folder); the shared paths moved
    # down into verl_glue/file_logger_paths.py
    arrows = unit_arrows()
    assert sorted((a, b) for a, b in arrows if (b, a) in arrows and a < b) == []
