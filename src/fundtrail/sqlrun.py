"""The one place that executes model SQL.

Every file under ``sql/<layer>/`` defines one table or view named after the
file (``sql/core/transfers.sql`` → ``transfers``) and starts with a header
comment stating its grain and inputs. A file under ``sql/macros/`` defines
one DuckDB macro named after it, an expression several models share (its
header says what it takes and gives); models that call it depend on it, and
it is created anew whenever a build needs it. The staging views ``stg_<kind>`` and
``staged_money`` are models too, their SQL made from kinds.toml
(``fundtrail.staging``) rather than read from a file. Dependencies are read from the SQL itself (any other
model's name used as a word), so ``build(con, targets)`` runs just the
models a step needs, in dependency order, like ``dbt run --select +target``.
A failure is re-raised as SqlStepError naming the file and the statement.

A seed is data the rules read, kept once as a CSV file: ``sql/seeds/<name>.csv``
becomes the table ``<name>`` (every column text, in file order, plus
``seed_order`` counted from 1) when a model uses it, and Python reads the same
file with ``seed_rows`` (from ``fundtrail.seeds``, which kinds.toml's
``seed`` columns read too). Roles, liability bases, tiers and record
categories live there.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from graphlib import CycleError, TopologicalSorter
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fundtrail import staging
from fundtrail.errors import SqlStepError
from fundtrail.kinds import KINDS
from fundtrail.resources import resource_dir
from fundtrail.seeds import SEED_FOLDER, csv_rows, seed_files, seed_rows  # noqa: F401  (callers read seed_rows here)

if TYPE_CHECKING:
    import duckdb
    import polars as pl

LAYERS = ("macros", "core", "marts", "info", "trace")
SEED_LAYER = SEED_FOLDER
WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
LINE_COMMENT = re.compile(r"--[^\n]*")
# Text in quotes is data, not a model name: a status 'unvalidated' is no use of the unvalidated mart.
STRING_LITERAL = re.compile(r"'(?:[^']|'')*'")


@dataclass(frozen=True)
class Model:
    name: str
    layer: str
    # Where the SQL comes from, as error messages name it: sql/core/transfers.sql, or kinds.toml.
    origin: str
    sql: str
    depends_on: frozenset[str]


@cache
def seeds(sql_root: Path | None = None) -> dict[str, Model]:
    """Every ``sql/seeds/<name>.csv``, as a model whose text is the CSV, with no dependencies."""
    return {
        name: Model(name, SEED_LAYER, f"sql/{SEED_LAYER}/{path.name}", path.read_text(encoding="utf-8"), frozenset())
        for name, path in seed_files(sql_root).items()
    }


@cache
def models(sql_root: Path | None = None) -> dict[str, Model]:
    root = sql_root or resource_dir("sql")
    found: dict[str, tuple[str, str, str]] = {
        f"stg_{kind}": ("staging", f"kinds.toml ({kind})", staging.view_sql(kind)) for kind in KINDS
    }
    found["staged_money"] = ("staging", "kinds.toml (every kind)", staging.staged_money_sql())
    found |= {name: (SEED_LAYER, seed.origin, seed.sql) for name, seed in seeds(sql_root).items()}
    for layer in LAYERS:
        for path in sorted((root / layer).glob("*.sql")):
            origin = f"sql/{layer}/{path.name}"
            if path.stem in found:
                raise SqlStepError(code="sqlrun.defined_twice", origin=origin, model=path.stem, other=found[path.stem][1])
            found[path.stem] = (layer, origin, path.read_text(encoding="utf-8"))
    result = {}
    for name, (layer, origin, sql) in found.items():
        if layer == SEED_LAYER:
            continue
        words = set(WORD.findall(STRING_LITERAL.sub("''", LINE_COMMENT.sub("", sql))))
        result[name] = Model(name, layer, origin, sql, frozenset((words & set(found)) - {name}))
    return result


def build_order(
    targets: list[str], sql_root: Path | None = None, existing: frozenset[str] = frozenset()
) -> list[Model]:
    """The targets and every model they need, dependencies first.

    A model that already exists (and is not a target) is used as it is, and
    what lies beneath it is not rebuilt: tests hand-make such tables, and
    pipeline steps build on what earlier steps left.
    """
    known = {**seeds(sql_root), **models(sql_root)}
    missing = [t for t in targets if t not in known]
    if missing:
        raise SqlStepError(code="sqlrun.undefined", models=", ".join(missing))
    needed: set[str] = set()
    stack = list(targets)
    while stack:
        name = stack.pop()
        if name in needed or (name in existing and name not in targets):
            continue
        needed.add(name)
        stack.extend(known[name].depends_on)
    sorter = TopologicalSorter({n: known[n].depends_on & needed for n in sorted(needed)})
    try:
        return [known[n] for n in sorter.static_order()]
    except CycleError as exc:
        raise SqlStepError(code="sqlrun.cycle", cycle=exc.args[1]) from None


def build(con: duckdb.DuckDBPyConnection, targets: list[str], sql_root: Path | None = None) -> list[str]:
    """Create the targets and whatever they need that does not exist yet; returns what was run."""
    existing = frozenset(r[0] for r in con.execute("select table_name from information_schema.tables").fetchall())
    ran = []
    for model in build_order(targets, sql_root, existing):
        execute_file(con, model)
        ran.append(model.name)
    return ran


def execute_file(con: duckdb.DuckDBPyConnection, model: Model) -> None:
    if model.layer == SEED_LAYER:
        load_seed(con, model)
        return
    # Imported here, not at the top: reading the seeds (reports, `fundtrail check`) needs no database.
    import duckdb

    for statement in split_statements(model.sql):
        try:
            con.execute(statement)
        except duckdb.Error as exc:
            first_line = next((ln for ln in statement.splitlines() if ln.strip() and not ln.strip().startswith("--")), "")
            raise SqlStepError(
                code="sqlrun.failed", origin=model.origin, error=type(exc).__name__, detail=str(exc),
                statement=first_line.strip()[:120],
            ) from None


def load_seed(con: duckdb.DuckDBPyConnection, seed: Model) -> None:
    """The seed's rows as table ``<name>``: its columns as text, in file order, then seed_order."""
    rows = [{**row, "seed_order": number} for number, row in enumerate(csv_rows(seed.sql), 1)]
    table = _identifier(seed.name)  # a file name under sql/seeds/, quoted
    con.execute(f"create or replace table {table} as select unnest(?, recursive := true)", [rows])


def _identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def split_statements(sql: str) -> list[str]:
    """Split on ';' at line ends; our SQL files keep one statement per ';'-terminated block."""
    parts = re.split(r";[ \t]*(?:\n|$)", sql)
    return [p for p in parts if LINE_COMMENT.sub("", p).strip()]


def create_table(con: duckdb.DuckDBPyConnection, name: str, frame: pl.DataFrame) -> None:
    """``name`` as a DuckDB table holding ``frame`` (a table Python built: input_files, matches, lots)."""
    con.register("_frame", frame)
    try:
        con.execute(f"create or replace table {name} as select * from _frame")
    finally:
        con.unregister("_frame")


def set_parameters(con: duckdb.DuckDBPyConnection, params: dict[str, Any]) -> None:
    """Expose case settings to SQL as ``getvariable('name')``."""
    for name, value in params.items():
        con.execute(f"SET VARIABLE {name} = ?", [value])
