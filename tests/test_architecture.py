"""The package's layering, as a test: no import cycle anywhere in ``ganforge``.

Every import counts, at module level or inside a function (a function-local import that exists to dodge a
cycle hides the cycle, it does not remove it); only ``if TYPE_CHECKING:`` blocks are skipped. Importing
``ganforge.a.b`` runs the package ``ganforge/__init__.py`` first, but a module that only reaches its siblings
does not use the package's names, so that implicit step is not an edge (nor a cycle).
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "ganforge"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(path): path for path in PACKAGE.rglob("*.py")}


def _type_checking(node: ast.If) -> bool:
    test = node.test
    return getattr(test, "id", None) == "TYPE_CHECKING" or getattr(test, "attr", None) == "TYPE_CHECKING"


def _imported(name: str, path: Path) -> set[str]:
    """The ganforge modules ``name`` imports, anywhere in its body but ``if TYPE_CHECKING:``."""
    found: set[str] = set()
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]

    def visit(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _type_checking(child):
                for statement in child.orelse:
                    visit(statement)
                continue
            if isinstance(child, ast.Import):
                found.update(alias.name for alias in child.names)
            elif isinstance(child, ast.ImportFrom):
                base = child.module or ""
                if child.level:
                    parent = package.rsplit(".", child.level - 1)[0] if child.level > 1 else package
                    base = f"{parent}.{base}" if base else parent
                submodules = [f"{base}.{alias.name}" for alias in child.names if f"{base}.{alias.name}" in MODULES]
                found.update(submodules)
                if len(submodules) < len(child.names):  # names defined in base itself
                    found.add(base)
            visit(child)

    visit(ast.parse(path.read_text()))
    modules = set()
    for imported in found:
        while imported and imported not in MODULES:
            imported = imported.rpartition(".")[0]
        if imported and imported != name:
            modules.add(imported)
    return modules


def import_graph() -> dict[str, set[str]]:
    return {name: _imported(name, path) for name, path in MODULES.items()}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle as [a, b, ..., a], or None (depth-first search)."""
    state: dict[str, str] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = "open"
        stack.append(node)
        for target in sorted(graph[node]):
            if state.get(target) == "open":
                return [*stack[stack.index(target) :], target]
            if target not in state and (cycle := visit(target)):
                return cycle
        stack.pop()
        state[node] = "done"
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def test_the_cycle_finder_finds_a_cycle():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_the_graph_sees_imports_inside_functions_but_not_type_checking_blocks():
    graph = import_graph()
    assert "ganforge.api" in graph["ganforge.cli"]  # cli imports its commands inside functions
    assert "ganforge.train" not in graph["ganforge.checkpoint"]  # Session is imported for type checking only


def test_no_module_of_ganforge_imports_itself_back():
    cycle = find_cycle(import_graph())
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


# Modules that may name tasks as data: the config's dataclass, the presets, the --task flag.
NAMES_TASKS_AS_DATA = {"ganforge.config", "ganforge.presets", "ganforge.cli"}


def _task_name_branches(path: Path, task_names: set[str]) -> list[str]:
    """Where a module reads ``<cfg>.task.name`` or compares a value with a registered task's name."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Attribute) and node.attr == "name" and getattr(node.value, "attr", None) == "task":
            found.append(f"line {node.lineno}: reads .task.name")
        if isinstance(node, ast.Compare):
            operands = [node.left, *node.comparators]
            for operand in operands:
                values = operand.elts if isinstance(operand, (ast.Tuple, ast.List, ast.Set)) else [operand]
                if any(isinstance(value, ast.Constant) and value.value in task_names for value in values):
                    found.append(f"line {node.lineno}: compares with a task's name")
    return found


def test_no_module_outside_the_task_registry_branches_on_a_task_name():
    from ganforge.tasks import TASKS

    offenders = {
        name: where
        for name, path in MODULES.items()
        if not name.startswith("ganforge.tasks") and name not in NAMES_TASKS_AS_DATA
        if (where := _task_name_branches(path, set(TASKS)))
    }
    assert offenders == {}, "ask ganforge.tasks.task_of(cfg) and the task's methods instead"


def test_the_task_name_finder_finds_a_branch(tmp_path):
    module = tmp_path / "module.py"
    module.write_text("if cfg.task.name == 'cyclegan':\n    pass\nif kind in ('srgan', 'inpaint'):\n    pass\n")
    assert len(_task_name_branches(module, {"cyclegan", "srgan"})) == 3


# The layers of docs/architecture.md, top first: a module may import from its own layer and those below it.
LAYERS = [
    ("faces", ["ganforge", "ganforge.__main__", "ganforge.cli", "ganforge.serve", "ganforge.api", "ganforge.translate",
               "ganforge.sweep", "ganforge.report", "ganforge.compare", "ganforge.export",
               "ganforge.commands_video",
               "ganforge.commands_latent"]),
    ("the loop", ["ganforge.train", "ganforge.distributed", "ganforge.game2d"]),
    ("measurement", ["ganforge.evaluate", "ganforge.health", "ganforge.viz.traverse", "ganforge.latent"]),
    ("a trained model", ["ganforge.trained"]),
    ("resolution", ["ganforge.resolve"]),
    ("registries", ["ganforge.gans", "ganforge.tasks", "ganforge.presets"]),
    ("parts", ["ganforge.models", "ganforge.data", "ganforge.metrics", "ganforge.ema"]),
    ("plumbing", ["ganforge.config", "ganforge.checkpoint", "ganforge.run", "ganforge.stats", "ganforge.losses",
                  "ganforge.engine", "ganforge.errors", "ganforge.atomic", "ganforge.resources", "ganforge.viz",
                  "ganforge.finetune", "ganforge.tensorboard_log", "ganforge.output", "ganforge.runlock",
                  "ganforge.limits"]),
]  # fmt: skip


def layer_of(module: str) -> int:
    """The index of ``module``'s layer: the longest listed prefix wins (viz.traverse is not viz)."""
    matches = [
        (len(prefix), index)
        for index, (_, prefixes) in enumerate(LAYERS)
        for prefix in prefixes
        if module == prefix or module.startswith(f"{prefix}.")
    ]
    assert matches, f"{module} is in no layer: add it to LAYERS and docs/architecture.md"
    return max(matches)[1]


def test_every_import_points_down_the_layers():
    upward = [
        f"{module} ({LAYERS[layer_of(module)][0]}) imports {target} ({LAYERS[layer_of(target)][0]})"
        for module, targets in import_graph().items()
        for target in targets
        if layer_of(target) < layer_of(module)
    ]
    assert upward == []
