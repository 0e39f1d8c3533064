"""The package layout is the architecture: layers import only downward, and no module imports itself back.

Layers, lowest first (a package may import its own layer and those below, never one above):

0. the root helpers: ``sikap.errors``, ``sikap.io``, ``sikap.paths``, ``sikap.cpu``, ``sikap.schema``
1. ``sikap.text``: page → sentences with mentions (targets, segmentation, furniture, HTML, the article pipeline)
2. ``sikap.data``: label files, splits, realism statistics
3. ``sikap.evaluation``: metrics and scoring of any predictor
4. ``sikap.models``: the predictor contract, the store, the model kinds, and above the kinds loading,
   ensemble building and evaluating a stored model
5. the applications of a model: ``sikap.service``, ``sikap.batch``, ``sikap.labeling``, ``sikap.reporting``
6. ``sikap.cli``

Inside ``sikap.models`` the kinds never import what stands above them (``loading``, ``ensemble_builder``,
``evaluate``). Imports under ``if TYPE_CHECKING:`` are annotations, not runtime edges, and are left out.
"""

import ast
from pathlib import Path

import networkx as nx

import sikap

PACKAGE = Path(sikap.__file__).parent
ROOT_HELPERS = {"errors", "io", "paths", "cpu", "schema"}
LAYERS = {
    "text": 1,
    "data": 2,
    "evaluation": 3,
    "models": 4,
    "service": 5,
    "batch": 5,
    "labeling": 5,
    "reporting": 5,
    "cli": 6,
}
MODEL_KINDS = ("sikap.models.baseline", "sikap.models.transformer", "sikap.models.onnx", "sikap.models.ensemble.",
               "sikap.models.basemodel", "sikap.models.predictor", "sikap.models.store")
ABOVE_THE_KINDS = ("sikap.models.loading", "sikap.models.ensemble_builder", "sikap.models.evaluate")


def module_name(path: Path, package: Path) -> str:
    parts = path.relative_to(package.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _runtime_nodes(tree: ast.AST):
    """Every node except the bodies of ``if TYPE_CHECKING:`` blocks."""
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.If) and getattr(node.test, "id", getattr(node.test, "attr", None)) == "TYPE_CHECKING":
            stack.extend(node.orelse)
            continue
        yield node
        stack.extend(ast.iter_child_nodes(node))


def import_graph(package: Path = PACKAGE) -> nx.DiGraph:
    """Module → imported ``sikap`` module, for imports anywhere in a module (lazy ones included)."""
    graph = nx.DiGraph()
    modules = {module_name(p, package): p for p in package.rglob("*.py")}
    for name, path in modules.items():
        graph.add_node(name)
        for node in _runtime_nodes(ast.parse(path.read_text(encoding="utf-8"))):
            targets = []
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                targets = [f"{node.module}.{a.name}" for a in node.names] + [node.module]
            elif isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            for target in targets:
                if target in modules and target != name and target.startswith("sikap"):
                    graph.add_edge(name, target)
                    break
    return graph


def layer(module: str) -> int:
    parts = module.split(".")
    if len(parts) < 2:
        return 0
    if parts[1] in ROOT_HELPERS:
        return 0
    return LAYERS[parts[1]]


def test_every_package_has_a_layer_and_the_root_holds_few_modules():
    root_modules = {p.stem for p in PACKAGE.glob("*.py")} - {"__init__"}
    assert root_modules == ROOT_HELPERS
    packages = {p.name for p in PACKAGE.iterdir() if (p / "__init__.py").exists()}
    assert packages == set(LAYERS)


def test_no_import_circle():
    cycles = list(nx.simple_cycles(import_graph()))
    assert cycles == [], f"import circles: {cycles}"


def test_no_package_imports_a_layer_above_it():
    upward = [(a, b) for a, b in import_graph().edges if layer(b) > layer(a)]
    assert upward == []


def test_model_kinds_do_not_import_what_stands_above_them():
    upward = [(a, b) for a, b in import_graph().edges if a.startswith(MODEL_KINDS) and b.startswith(ABOVE_THE_KINDS)]
    assert upward == []


def test_the_checks_catch_a_circle_and_an_upward_import(tmp_path):
    fake = tmp_path / "sikap"
    (fake / "text").mkdir(parents=True)
    (fake / "__init__.py").write_text("")
    (fake / "text" / "__init__.py").write_text("")
    (fake / "text" / "a.py").write_text("from sikap.text.b import x\nfrom sikap.cli import app\n")
    (fake / "text" / "b.py").write_text("def f():\n    from sikap.text import a\n")
    (fake / "cli.py").write_text("app = 1\n")
    graph = import_graph(fake)
    assert list(nx.simple_cycles(graph)) != []
    assert ("sikap.text.a", "sikap.cli") in graph.edges
