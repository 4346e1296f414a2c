"""The import graph of src/settle, imports inside functions included (issue 25).

Prints the count of module-level and function-level imports, every cycle among settle's own
modules (strongly connected components of more than one module), and every import that goes
from a lower layer to a higher one. The layers, lowest first:

    load, rules  →  store  →  engine  →  output  →  api  →  cli

Modules outside these packages (problems, faults, parallel, records, verify, simulate, console,
cli_support, serve …) are given a layer in LAYER_OF below; an unknown module is reported.

    python tools/import_graph.py            # table; exit 1 on a cycle
    python tools/import_graph.py --layers   # also list upward imports; exit 1 on any
"""

from __future__ import annotations

import argparse
import ast
import sys
from collections import defaultdict
from pathlib import Path

SRC = Path(__file__).resolve().parent.parent / "src"
ORDER = ("base", "load", "rules", "store", "engine", "output", "api", "cli")
# A module's layer: the first prefix that matches (longest prefixes first).
LAYER_OF = {
    "settle.problems": "base", "settle.faults": "base", "settle.text": "base", "settle.catalogue": "base",
    "settle.load": "load", "settle.rules": "rules", "settle.store": "store",
    "settle.engine": "engine", "settle.parallel": "base",
    "settle.output": "output", "settle.records": "output", "settle.verify": "output",
    "settle.simulate": "api", "settle.api": "api", "settle.disputes": "api", "settle.diff": "api",
    "settle.console": "cli", "settle.cli_support": "cli", "settle.cli": "cli", "settle.serve": "cli",
    "settle.__main__": "cli", "settle": "api",
}
# load and rules are one layer in the issue ("load/rules → store"): neither may import the other's
# higher neighbours, and imports between them are allowed.
SAME_LAYER = {("load", "rules"), ("rules", "load")}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def layer(module: str) -> str | None:
    for prefix in sorted(LAYER_OF, key=len, reverse=True):
        if module == prefix or module.startswith(prefix + "."):
            return LAYER_OF[prefix]
    return None


def imports_of(path: Path, modules: set[str]) -> list[tuple[str, int, bool]]:
    """(imported settle module, line, inside a function) for every import in the file."""
    me = module_name(path)
    package = me if path.name == "__init__.py" else me.rpartition(".")[0]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: list[tuple[str, int, bool]] = []

    def visit(node: ast.AST, in_function: bool, type_checking: bool) -> None:
        for child in ast.iter_child_nodes(node):
            inner = in_function or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
            guarded = type_checking or (isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test))
            if isinstance(child, ast.Import) and not type_checking:
                found.extend((a.name, child.lineno, in_function) for a in child.names if a.name in modules)
            elif isinstance(child, ast.ImportFrom) and not type_checking:
                base = child.module or ""
                if child.level:
                    anchor = package.split(".")[: len(package.split(".")) - child.level + 1]
                    base = ".".join(anchor + ([base] if base else []))
                for alias in child.names:
                    target = f"{base}.{alias.name}"
                    if target in modules:
                        found.append((target, child.lineno, in_function))
                    elif base in modules:
                        found.append((base, child.lineno, in_function))
            visit(child, inner, guarded)

    visit(tree, False, False)
    return [(m, line, inner) for m, line, inner in found if m != me]


def strongly_connected(graph: dict[str, set[str]]) -> list[list[str]]:
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    result: list[list[str]] = []
    counter = [0]

    def connect(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                connect(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                result.append(sorted(component))

    sys.setrecursionlimit(10_000)
    for v in sorted(graph):
        if v not in index:
            connect(v)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--layers", action="store_true", help="list imports from a lower layer to a higher one")
    args = parser.parse_args(argv)
    files = sorted(p for p in (SRC / "settle").rglob("*.py"))
    modules = {module_name(p) for p in files}
    graph: dict[str, set[str]] = defaultdict(set)
    top = inner = 0
    upward: list[str] = []
    unknown: set[str] = set()
    for path in files:
        me = module_name(path)
        for target, line, in_function in imports_of(path, modules):
            graph[me].add(target)
            inner += in_function
            top += not in_function
            a, b = layer(me), layer(target)
            if a is None:
                unknown.add(me)
            if b is None:
                unknown.add(target)
            if a and b and (a, b) not in SAME_LAYER and ORDER.index(b) > ORDER.index(a):
                where = "in a function" if in_function else "module level"
                upward.append(f"{path.relative_to(SRC)}:{line}  {me} ({a}) → {target} ({b}), {where}")
    cycles = strongly_connected(graph)
    print(f"modules {len(modules)} · imports of settle modules: {top} module-level, {inner} inside functions")
    print(f"cycles: {len(cycles)}")
    for component in cycles:
        print("  " + " ↔ ".join(component))
    print(f"upward imports (lower layer → higher): {len(upward)}   layers: {' → '.join(ORDER)}")
    if args.layers:
        for line in upward:
            print("  " + line)
    for module in sorted(unknown):
        print(f"  no layer for {module}")
    return 1 if cycles or (args.layers and upward) else 0


if __name__ == "__main__":
    sys.exit(main())
