"""The package's layering (issue #14): checked on the import statements of every module, so a new edge fails here."""

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
    ],
)
def test_no_module_imports_across_a_layer(folder, forbidden):
    assert offenders(folder, forbidden) == []


def test_the_check_sees_lazy_imports(tmp_path):
    module = tmp_path / "m.py"
    module.write_text("def f():\n    from r1_reward.cpu import platform\n")
    assert "r1_reward.cpu" in imported_modules(module)
