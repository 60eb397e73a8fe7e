"""The shape of the code: which module may import which.

Read with the standard library's ``ast``, so the check sees every import statement: at the top
of a module, inside a function (where an import circle likes to hide), and under
``if TYPE_CHECKING:`` (a circle a reader still has to walk around, even if Python never runs it).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("jobs", "blog_app")

# Two models related both ways (an article's author, an author's articles) name each other in
# their type hints. SQLAlchemy resolves those names at run time from its registry, so these
# type-only imports never run; every other import counts.
TYPE_ONLY_ALLOWED_WITHIN = "blog_app.models."


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def our_modules() -> dict[str, Path]:
    return {module_name(p): p for package in PACKAGES for p in (ROOT / package).rglob("*.py")}


def _type_checking_nodes(tree: ast.AST) -> set[int]:
    """The ids of the import statements inside an ``if TYPE_CHECKING:`` block."""
    inside: set[int] = set()
    for node in ast.walk(tree):
        test = node.test if isinstance(node, ast.If) else None
        name = test.id if isinstance(test, ast.Name) else getattr(test, "attr", None)
        if name == "TYPE_CHECKING":
            inside |= {id(child) for stmt in node.body for child in ast.walk(stmt)}  # type: ignore[attr-defined]
    return inside


def _absolute(node: ast.ImportFrom, importer: str, is_package: bool) -> str:
    if not node.level:
        return node.module or ""
    base = importer.split(".")[: len(importer.split(".")) - node.level + is_package]
    return ".".join(base + ([node.module] if node.module else []))


def imports_of(name: str, path: Path, modules: set[str]) -> Iterator[tuple[str, bool]]:
    """(imported module of ours, whether the import is for type checking only)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    type_only = _type_checking_nodes(tree)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            source = _absolute(node, name, path.name == "__init__.py")
            targets = [
                f"{source}.{a.name}" if f"{source}.{a.name}" in modules else source
                for a in node.names
            ]
        else:
            continue
        for target in targets:
            if target in modules and target != name:
                yield target, id(node) in type_only


def import_graph() -> dict[str, set[str]]:
    modules = our_modules()
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        for target, type_only in imports_of(name, path, set(modules)):
            allowed = name.startswith(TYPE_ONLY_ALLOWED_WITHIN) and target.startswith(
                TYPE_ONLY_ALLOWED_WITHIN
            )
            if not (type_only and allowed):
                graph[name].add(target)
    return graph


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The groups of modules that import each other, round a circle (Tarjan's algorithm)."""
    order: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    groups: list[list[str]] = []

    def visit(module: str) -> None:
        order[module] = low[module] = len(order)
        stack.append(module)
        for target in sorted(graph[module]):
            if target not in order:
                visit(target)
                low[module] = min(low[module], low[target])
            elif target in stack:
                low[module] = min(low[module], order[target])
        if low[module] == order[module]:
            group = stack[stack.index(module) :]
            del stack[stack.index(module) :]
            if len(group) > 1:
                groups.append(sorted(group))

    for module in sorted(graph):
        if module not in order:
            visit(module)
    return sorted(groups)


def test_no_import_circles() -> None:
    found = circles(import_graph())
    assert found == [], "modules that import each other:\n" + "\n".join(", ".join(c) for c in found)


def test_the_circle_finder_sees_imports_inside_functions_and_for_types(tmp_path: Path) -> None:
    assert circles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    path = tmp_path / "job.py"
    path.write_text(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from jobs.web import blueprint\n"
        "def f():\n    from jobs.client import Client\n",
        encoding="utf-8",
    )
    modules = {"jobs.client", "jobs.job", "jobs.web", "jobs.web.blueprint"}
    found = set(imports_of("jobs.job", path, modules))
    assert found == {("jobs.client", False), ("jobs.web.blueprint", True)}


# Code outside the store: the queue's other modules, the blog, the chapters and the benchmarks.
# (The store's own tests, under tests/, read its modules directly: that is what they test.)
OUTSIDE_THE_STORE = ("jobs", "blog_app", "chapters", "bench")


def reaches_inside(name: str, path: Path) -> list[str]:
    """The modules inside ``jobs/store/`` that ``path`` imports, past its ``__init__``."""
    inside = {module_name(p) for p in (ROOT / "jobs" / "store").rglob("*.py")} - {"jobs.store"}
    return sorted({target for target, _ in imports_of(name, path, inside)})


def test_outside_the_store_only_what_jobs_store_exports() -> None:
    found = {
        module_name(path): reaches_inside(module_name(path), path)
        for folder in OUTSIDE_THE_STORE
        for path in (ROOT / folder).rglob("*.py")
        if not path.is_relative_to(ROOT / "jobs" / "store")
    }
    assert {name: inside for name, inside in found.items() if inside} == {}


def test_the_store_check_sees_a_reach_inside(tmp_path: Path) -> None:
    path = tmp_path / "worker.py"
    path.write_text("def f():\n    from jobs.store.queues import SCHEDULER_WAKEUP\n")
    assert reaches_inside("jobs.worker", path) == ["jobs.store.queues"]
    path.write_text("from jobs.store import Store, keys\n")
    assert reaches_inside("jobs.worker", path) == ["jobs.store.keys"]


# The queue's root holds the queue. The workshop's tooling (a Redis for tests and for the project,
# the demo, the workshop's commands) lives in jobs/dev/ and is loaded only when asked for: by
# Settings when JOBS_LOCAL_REDIS=1, by the pytest plugin's fixture for a throwaway Redis, and by
# ``python -m jobs``, the workshop's command line (an app adds only jobs.cli's commands).
LOADS_DEV_TOOLING_AT_IMPORT = {"jobs.pytest_plugin", "jobs.__main__"}


def dev_tooling_imported_at_import_time(name: str, path: Path) -> list[str]:
    """The jobs.dev modules that ``path`` imports in its module body (not inside a function)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    body_imports = [node for node in tree.body if isinstance(node, ast.Import | ast.ImportFrom)]
    found: set[str] = set()
    for node in body_imports:
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        else:
            found.add(_absolute(node, name, path.name == "__init__.py"))
    return sorted(module for module in found if module.split(".")[:2] == ["jobs", "dev"])


def test_the_queue_does_not_load_the_workshop_tooling() -> None:
    found = {
        module_name(path): dev_tooling_imported_at_import_time(module_name(path), path)
        for path in (ROOT / "jobs").rglob("*.py")
        if not path.is_relative_to(ROOT / "jobs" / "dev")
    }
    loaded = {name: dev for name, dev in found.items() if dev}
    assert loaded.keys() <= LOADS_DEV_TOOLING_AT_IMPORT, loaded


def test_the_tooling_check_sees_a_top_level_import(tmp_path: Path) -> None:
    path = tmp_path / "worker.py"
    path.write_text(
        "from jobs.dev.project_redis import ProjectRedis\ndef f():\n    import jobs.dev.demo\n"
    )
    assert dev_tooling_imported_at_import_time("jobs.worker", path) == ["jobs.dev.project_redis"]


# The store's calls that settle a job in flight (a thread's batch acknowledges the jobs it
# finished with its next fetch instead: that is the fetcher's round trip, not one of these).
SETTLING_CALLS = {("queues", "acknowledge"), ("queues", "fail"), ("queues", "requeue")}
SETTLING_CALLS |= {("delayed", "retry")}


def settling_calls(path: Path) -> list[str]:
    """The store calls in ``path`` that settle a job: ``<...>.queues.fail(...)`` and the like."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        owner, method = node.func.value, node.func.attr
        if isinstance(owner, ast.Attribute) and (owner.attr, method) in SETTLING_CALLS:
            found.append(f"{owner.attr}.{method}")
    return sorted(found)


def test_only_jobs_settle_settles_a_job() -> None:
    found = {
        module_name(path): settling_calls(path)
        for path in (ROOT / "jobs").rglob("*.py")
        if not path.is_relative_to(ROOT / "jobs" / "store")
    }
    assert {name: calls for name, calls in found.items() if calls} == {
        "jobs.settle": ["delayed.retry", "queues.acknowledge", "queues.fail", "queues.requeue"]
    }
