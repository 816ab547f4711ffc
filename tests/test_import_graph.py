"""The shape of the code: the import graph of ``techmarket`` has no cycle, the ledger knows
no domain, and the rule book does no I/O."""

import ast
from pathlib import Path

import techmarket

SRC = Path(techmarket.__file__).parent


def _module(path: Path) -> str:
    parts = path.relative_to(SRC.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _graph() -> dict[str, set[str]]:
    """Every module of the package and the modules it imports (anywhere in it, lazily too)."""
    files = {_module(p): p for p in SRC.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in files.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        imported: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                imported.update(a.name for a in node.names)
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    base = ".".join(
                        [*package.split(".")[: len(package.split(".")) - node.level + 1], base]
                    ).rstrip(".")
                for alias in node.names:  # `from pkg import module` imports the module
                    full = f"{base}.{alias.name}"
                    imported.add(full if full in files else base)
        graph[name] = {m for m in imported if m in files and m != name}
    return graph


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle, if there is any (depth-first search)."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        path.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_the_import_graph_has_no_cycle() -> None:
    assert _cycle(_graph()) is None


def test_the_ledger_imports_nothing_of_trading_or_accounts() -> None:
    upward = {
        (module, imported)
        for module, imports in _graph().items()
        if module.startswith("techmarket.ledger")
        for imported in imports
        if imported.startswith(("techmarket.trading", "techmarket.accounts"))
    }
    assert upward == set()


def test_the_rule_book_imports_no_database_web_or_clock() -> None:
    rules = SRC / "trading" / "rules"
    forbidden = ("sqlalchemy", "asyncpg", "fastapi", "httpx", "techmarket.db", "techmarket.clock")
    found = {
        (path.name, name)
        for path in rules.rglob("*.py")
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Import | ast.ImportFrom)
        for name in (
            [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
        )
        if name.startswith(forbidden) or name.startswith("techmarket.models")
    }
    assert found == set()


QUERY_BUILDERS = {"select", "insert", "update", "delete", "text"}
# Besides the repositories: the models, the engine's set-up, migrations, backups (which read
# the server itself: its version, its tables, a snapshot to dump) and the health probe.
OUTSIDE_REPOSITORIES = {"db.py", "migrate.py", "backup.py", "health.py"}


def test_sql_is_written_only_in_repositories() -> None:
    writers = {
        str(path.relative_to(SRC))
        for path in SRC.rglob("*.py")
        if path.name != "repository.py"
        and path.parent.name != "models"
        and str(path.relative_to(SRC)) not in OUTSIDE_REPOSITORIES
        for node in ast.walk(ast.parse(path.read_text()))
        if (
            isinstance(node, ast.ImportFrom)
            and (node.module or "").startswith("sqlalchemy")
            and QUERY_BUILDERS & {a.name for a in node.names}
        )
        or (isinstance(node, ast.Attribute) and node.attr in ("execute", "scalar", "scalars"))
    }
    assert writers == set()
