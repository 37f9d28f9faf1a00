"""Keeps the import arrows of STYLE.md true: pages -> components, cube, mining;
cube -> data; mining -> data; data -> data only; components never touch cube or mining."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FORBIDDEN = {
    "data": {"cube", "mining", "pages", "components", "app", "dash"},
    "cube": {"mining", "pages", "components", "app", "dash"},
    "mining": {"cube", "pages", "components", "app", "dash"},
    "components": {"cube", "mining", "pages", "app", "data"},
}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_layers_import_only_what_they_may():
    problems = []
    for package, forbidden in FORBIDDEN.items():
        for path in (ROOT / package).rglob("*.py"):
            bad = _imports(path) & forbidden
            if bad:
                problems.append(f"{path.relative_to(ROOT)} imports {sorted(bad)}")
    assert not problems, "\n".join(problems)


def test_pages_hold_no_sql():
    for path in (ROOT / "pages").rglob("*.py"):
        text = path.read_text(encoding="utf-8").upper()
        assert "SELECT " not in text and "DUCKDB" not in text, f"{path.name} talks to the engine"
