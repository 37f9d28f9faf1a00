"""Keeps the import arrows of STYLE.md true, read from the code with ``ast``: every import,
at module level or inside a function, relative ones resolved, against a table of what each
package may use of the project's own; and no import cycle inside a package."""

from __future__ import annotations

import ast
from fnmatch import fnmatch
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# What each package may import of the project besides itself (a name covers its submodules).
# pages reach the cube only through its public API, its view queries and query types; no page
# imports mining but the Model runs page. components import nothing of the project (only dash).
ALLOWED = {
    # the Model runs page starts, cancels and approves runs (mining.runs and its checks)
    "pages": (
        "components",
        "cube.api",
        "cube.views",
        "cube.query",
        "auth",
        "settings",
        "mining.runs",
        "mining.errors",
        "mining.preflight",
        "marketing",
    ),
    "components": ("settings",),
    # the views read model outputs of the served data version from the run registry
    "cube": ("data", "settings", "mining.runs", "mining.segment_names", "mining.segmentation"),
    "mining": ("data", "settings"),  # reads the warehouse through data (warehouse, scores)
    # the marketing loop: picks customers through the cube (under the user's scope), writes the
    # ops store, retrains the response model on campaign outcomes
    "marketing": ("data", "settings", "auth", "cube.api", "cube.views", "cube.query", "mining"),
    "data": ("settings",),
    "auth": ("data", "settings"),
    "settings": (),
}
# Single modules allowed more than their package: a deck slide is computed (the view queries,
# at the deck's pinned data version) as well as drawn, once for the presenter page and the
# PPTX/PDF export alike.
MODULE_ALLOWED = {
    "components.slides": ("cube.api", "cube.views", "cube.query", "cube.connection"),
    # report packs: the same slides computed for each unit, under the unit's narrowed scope
    "components.packs": ("cube.api", "cube.views", "cube.query", "cube.connection"),
}
# Never, even where ALLOWED would let it: third-party names too; glob patterns allowed.
GENERATOR = ("data.generator", "data.generate", "data.gen_*")  # the synthetic bank, demo only
FORBIDDEN = {
    "cube": (*GENERATOR, "data.load", "dash", "flask", "flask_login"),
    "cube.views": ("dash", "flask", "flask_login"),  # view queries are pure builders
    "mining": (*GENERATOR, "dash", "flask", "flask_login"),
    "marketing": (*GENERATOR, "data.load", "dash", "flask", "flask_login"),
    "data": ("dash", "flask", "flask_login"),
}


def _covers(patterns: tuple[str, ...], module: str) -> bool:
    return any(fnmatch(module, p) or module.startswith(p + ".") for p in patterns)


def _is_module(root: Path, name: str) -> bool:
    path = root.joinpath(*name.split("."))
    return path.with_suffix(".py").is_file() or path.is_dir()


def _imports(root: Path, path: Path) -> list[tuple[str, int, bool]]:
    """(module imported, line, whether it runs at import time) for every import in ``path``."""
    parts = list(path.relative_to(root).with_suffix("").parts)
    package = parts[:-1]  # the same for pkg/__init__.py and pkg/mod.py
    found = []

    def visit(node: ast.AST, at_import: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.Import):
                found.extend((a.name, child.lineno, at_import) for a in child.names)
            elif isinstance(child, ast.ImportFrom):
                base = child.module or ""
                if child.level:
                    base = ".".join([*package[: len(package) - child.level + 1], *filter(None, [base])])
                for alias in child.names:
                    sub = f"{base}.{alias.name}"
                    found.append((sub if _is_module(root, sub) else base, child.lineno, at_import))
            deferred = isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda)
            typing_only = isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test)
            visit(child, at_import and not deferred and not typing_only)

    visit(ast.parse(path.read_text(encoding="utf-8")), True)
    return found


def _module_name(root: Path, path: Path) -> str:
    parts = path.relative_to(root).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def violations(root: Path) -> list[str]:
    """Every import that breaks ALLOWED or FORBIDDEN, and every cycle inside a package."""
    own = {p.stem for p in root.glob("*.py")} | {p.parent.name for p in root.glob("*/*.py")}
    problems, graph = [], {}
    for path in sorted(
        p for name in ALLOWED for p in [*root.glob(f"{name}.py"), *root.glob(f"{name}/**/*.py")]
    ):
        module, where = _module_name(root, path), path.relative_to(root).as_posix()
        top = module.split(".")[0]
        edges = graph.setdefault(top, {}).setdefault(module, set())
        for target, line, at_import in _imports(root, path):
            banned = [p for key, pats in FORBIDDEN.items() if _covers((key,), module) for p in pats]
            if _covers(banned, target) or (
                target.split(".")[0] in own - {top}
                and not _covers((*ALLOWED[top], *MODULE_ALLOWED.get(module, ())), target)
            ):
                allowed = ", ".join(ALLOWED[top]) or "nothing of the project"
                problems.append(f"{where}:{line} imports {target} ({top} may import {allowed})")
            if at_import and target.split(".")[0] == top and target != module:
                edges.add(target)
    for modules in graph.values():
        problems += [f"import cycle: {' -> '.join(c)}" for c in _cycles(modules)]
    return problems


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One cycle per back edge of a depth-first walk, each set of modules named once."""
    cycles, seen, done, stack = [], set(), set(), []

    def walk(node: str) -> None:
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt in stack:
                cycle = stack[stack.index(nxt) :] + [nxt]
                if frozenset(cycle) not in seen:
                    seen.add(frozenset(cycle))
                    cycles.append(cycle)
            elif nxt not in done:
                walk(nxt)
        stack.pop()
        done.add(node)

    for node in sorted(graph):
        if node not in done:
            walk(node)
    return cycles


def test_the_project_keeps_its_import_arrows():
    assert not violations(ROOT), "\n".join(violations(ROOT))


def _tree(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")
    return root


def test_checker_reports_forbidden_imports(tmp_path):
    root = _tree(
        tmp_path,
        {
            "mining/__init__.py": "",
            "cube/__init__.py": "",
            "cube/engine.py": "",
            "cube/x.py": "import mining\n",
            "cube/views/q.py": "from ..engine import run\n\ndef f():\n    from dash import html\n",
            "pages/p.py": "from cube import engine\nfrom cube.views import q\n",
        },
    )
    found = violations(root)
    assert [v.split(" (")[0] for v in found] == [
        "cube/views/q.py:4 imports dash",
        "cube/x.py:1 imports mining",
        "pages/p.py:1 imports cube.engine",
    ]


def test_checker_reports_cycles(tmp_path):
    root = _tree(
        tmp_path,
        {
            "cube/__init__.py": "",
            "cube/a.py": "from . import b\n",
            "cube/b.py": "from cube.c import f\n",
            "cube/c.py": "from .a import g\n\ndef h():\n    from cube import b\n",
            "cube/d.py": "def f():\n    import cube.a\n",  # inside a function: not at import time
        },
    )
    assert violations(root) == ["import cycle: cube.a -> cube.b -> cube.c -> cube.a"]


def test_pages_hold_no_sql():
    for path in (ROOT / "pages").rglob("*.py"):
        text = path.read_text(encoding="utf-8").upper()
        assert "SELECT " not in text and "DUCKDB" not in text, f"{path.name} talks to the engine"
