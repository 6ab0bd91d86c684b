"""Great Expectations (GX Core 1.24) run against the case's DuckDB tables through SQL.

Every expectation is computed by DuckDB: GX's SQLAlchemy execution engine
sends aggregate queries and, for failing rows, queries with a LIMIT; no table
is read into pandas. Two things make GX's SQL path work with DuckDB:

- GX opens a connection per query and reads the rows after closing it; closing
  a DuckDB connection (its transaction rolls back) discards the pending result,
  so every expectation failed with "list index out of range". The engine below
  keeps one connection for the whole run instead, as GX itself does for SQLite.
- duckdb-engine opens the file with its own configuration, which DuckDB refuses
  while the pipeline holds a connection to the same file in this process. The
  SQLAlchemy engine is therefore fed cursors of a connection we open with
  DuckDB's default configuration.

Validation time was GX's own Python far more than DuckDB's: on the fixture case
(22 suites, ~290 expectations on tables of a few rows) about 13 ms per
expectation. What cuts it, without changing any result (bench/bench_validate.py
times it; every page and summary of the validation tests' databases and of both
fixtures came out byte for byte as before):

- One context, one datasource with every table's asset declared in one call (GX
  writes its whole config out as YAML after each asset added one at a time).
- Two passes: every suite runs with result format BASIC and no failing values
  (``result_format(keys, 0)``, no index query either), which computes every
  count the report shows; only the expectations that failed run again with
  SUMMARY, for their failing rows. SUMMARY on every expectation sent two more
  queries per column check, each reading the whole table when the check passes,
  to come back empty.
- A column check's failing values asked with a limit of 0 are answered as none
  without a query (``_OneConnectionEngine``): GX compiled and sent a LIMIT 0
  query for each, 199 of the 367 queries of a validation.
- GX does not fetch an unexpected-rows check's rows (``_UnexpectedRowsLeftInDuckDB``):
  a passing check's query runs once, for its count.
- Column names come from DuckDB's catalog, read once (``_DuckDBCatalog``):
  SQLAlchemy 2.1's PostgreSQL reflection, which duckdb-engine inherits, fails on
  DuckDB (no pg_collation), and GX fell back to a query per table after two
  failed ones.
- ``_lean_gx``: memos for three pure computations GX repeats thousands of times
  per suite, and each metric's dependency subtree expanded once per session
  (see there).
- The bundled column checks' query is compiled once, to run it: GX's own
  ``resolve_metric_bundle`` compiled it to text a second time for a debug log
  line (``_OneConnectionEngine.resolve_metric_bundle``).
- A compound-uniqueness count is one grouped query, not GX's join of the whole
  table back to its group counts (``_compound_duplicate_rows``, the same count).
- The datasource tests its connection, not each asset (a cursor, a transaction
  and a query per table): every asset is a table the catalog lists.

On the fixture case that took ``validate_database`` from 1.9 to 1.2 s CPU, and
on the 20,000-file case's database from 2.1–3.0 to 1.8–2.3 s, of which DuckDB's
own queries are about 0.85 s there (measured on a shared machine, main and this
code in turn).

Importing this module imports GX (~3 s CPU), so fundtrail.validate imports it only
when a validation runs, or ahead of it in a background thread (``preload``).
"""

from __future__ import annotations

# GX's and tqdm's environment variables are set by the package (fundtrail/validate/__init__.py),
# in the thread that imports it, before this module can be imported in another (``preload``).
import contextlib  # noqa: E402
import copy  # noqa: E402
import enum  # noqa: E402
import gc  # noqa: E402
import hashlib  # noqa: E402
import importlib  # noqa: E402
import json  # noqa: E402
import logging  # noqa: E402
import math  # noqa: E402
import sys  # noqa: E402
import traceback  # noqa: E402
import types  # noqa: E402
from collections.abc import Iterator  # noqa: E402
from typing import Any, Literal  # noqa: E402


class _ImportedOnFirstUse(types.ModuleType):
    """Stands in sys.modules for a module until something reads one of its attributes, then imports it.

    GX imports every expectation it ships when it is imported; one of them (the KL-divergence
    expectation, which no suite here uses) imports scipy.stats and altair at its top, about a
    fifth of GX's import time (~0.7 s CPU of ~3.5 s). It uses them only inside its functions,
    which reach the real module through ``__getattr__``. (importlib.util.LazyLoader does not
    help: the import statement itself reads the module's ``__spec__``, which loads it.)
    """

    def __getattr__(self, attribute: str) -> Any:
        name = self.__name__
        if sys.modules.get(name) is self:
            del sys.modules[name]
        return getattr(importlib.import_module(name), attribute)


for _name in ("scipy.stats", "altair"):
    if _name not in sys.modules:
        _stand_in = _ImportedOnFirstUse(_name)
        _stand_in.__spec__ = None
        sys.modules[_name] = _stand_in

# GX's import makes some 240,000 objects that live as long as the process, and almost no
# garbage: the cycle collector, walking the young ones again and again while it ran, took
# 0.14 s of the import's ~3 s CPU at the threshold a run sets (pipeline._fewer_collections),
# 0.48 s at Python's default. It is paused for the import, and what the import made then goes
# into the permanent generation (gc.freeze), where no later collection walks it; without the
# freeze the first collection after the pause walked all of it (0.15 s). The freeze also
# holds whatever other threads had alive at that moment: a cycle among those, should it become
# garbage, is never collected, once per process.
_collecting = gc.isenabled()
gc.disable()
try:
    import duckdb  # noqa: E402
    import duckdb_engine  # noqa: E402
    import great_expectations as gx  # noqa: E402
    import sqlalchemy as sa  # noqa: E402
    from great_expectations.core.id_dict import IDDict  # noqa: E402
    from great_expectations.data_context.types.base import ProgressBarsConfig  # noqa: E402
    from great_expectations.datasource.fluent import SQLDatasource  # noqa: E402
    from great_expectations.exceptions import ExecutionEngineError, MetricResolutionError  # noqa: E402
    from great_expectations.execution_engine import SqlAlchemyExecutionEngine  # noqa: E402
    from great_expectations.expectations.expectation import Expectation  # noqa: E402
    from great_expectations.expectations.expectation_configuration import ExpectationConfiguration  # noqa: E402
    from great_expectations.expectations.metrics.metric_provider import metric_value  # noqa: E402
    from great_expectations.util import convert_to_json_serializable, get_sqlalchemy_selectable  # noqa: E402
    from great_expectations.validator.validation_graph import MetricEdge, ValidationGraph  # noqa: E402
    from great_expectations.expectations.metrics.query_metrics.query_table.unexpected_rows_query_table import (  # noqa: E402
        UnexpectedRowsQueryTable,
    )
finally:
    gc.freeze()
    if _collecting:
        gc.enable()

# GX pins this module's logger at INFO, so every run announced its temporary docs folder.
logging.getLogger("great_expectations.data_context.types.base").setLevel(logging.WARNING)
_graph_logger = logging.getLogger("great_expectations.validator.validation_graph")
_engine_logger = logging.getLogger("great_expectations.execution_engine.sqlalchemy_execution_engine")
COMPOUND_UNIQUE_COUNT = "compound_columns.unique.unexpected_count"


class _DuckDBCatalog:
    """Answers GX's two reflection calls from DuckDB's own catalog, read once per session.

    ``get_columns`` gives names only, as GX's fallback did (every suite checks types
    itself, with a query on ``duckdb_columns()``); anything else goes to SQLAlchemy's
    inspector."""

    def __init__(self, con: duckdb.DuckDBPyConnection, inspector: Any) -> None:
        self._inspector = inspector
        self._columns = dict(
            con.execute(
                "select table_name, list(column_name order by column_index) from duckdb_columns() "
                "where database_name = current_database() and schema_name = 'main' group by table_name"
            ).fetchall()
        )
        self._keys = dict(
            con.execute(
                "select table_name, constraint_column_names from duckdb_constraints() "
                "where database_name = current_database() and schema_name = 'main' "
                "and constraint_type = 'PRIMARY KEY'"
            ).fetchall()
        )

    def get_columns(self, table_name: str, schema: str | None = None, **_: Any) -> list[dict[str, Any]]:
        if schema not in (None, "main") or str(table_name) not in self._columns:
            raise sa.exc.NoSuchTableError(str(table_name))  # GX then falls back to a query
        return [{"name": name} for name in self._columns[str(table_name)]]

    def get_pk_constraint(self, table_name: str, schema: str | None = None, **_: Any) -> dict[str, Any]:
        return {"constrained_columns": list(self._keys.get(str(table_name), [])), "name": None}

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inspector, name)


class _OneConnectionEngine(SqlAlchemyExecutionEngine):
    """Keeps one open connection so results stay readable after GX's ``with`` block ends."""

    # Set by the session: the tables do not change while it validates, so the catalog is
    # read once (GX drops its inspector with every batch).
    catalog: _DuckDBCatalog | None = None

    @contextlib.contextmanager
    def get_connection(self) -> Iterator[sa.Connection]:
        if not self._connection:
            self._connection = self.engine.connect()
        yield self._connection

    def get_inspector(self) -> Any:
        return self.catalog or super().get_inspector()

    def execute_query(self, query: Any) -> Any:
        # A failed statement aborts DuckDB's transaction; without a rollback every
        # later expectation on the shared connection would fail as well.
        try:
            return super().execute_query(query)
        except sa.exc.DBAPIError:
            if self._connection:
                self._connection.rollback()
            raise

    def _process_direct_and_bundled_metric_computation_configurations(
        self, metric_fn_direct_configurations: list[Any], metric_fn_bundle_configurations: list[Any]
    ) -> dict[Any, Any]:
        # A map check's failing values asked with a limit of 0 are no values: GX would still
        # compile and send a LIMIT 0 query for each (two in five of all its queries).
        asked, nothing = [], {}
        for computation in metric_fn_direct_configurations:
            metric = computation.metric_configuration
            if _asks_no_values(metric):
                nothing[metric.id] = []
            elif metric.metric_name == COMPOUND_UNIQUE_COUNT:
                try:
                    nothing[metric.id] = self._compound_duplicate_rows(**computation.metric_provider_kwargs)
                except Exception as exc:  # as GX reports a metric function's failure
                    raise MetricResolutionError(message=str(exc), failed_metrics=(metric,)) from exc
            else:
                asked.append(computation)
        resolved = super()._process_direct_and_bundled_metric_computation_configurations(
            asked, metric_fn_bundle_configurations
        )
        if self._caching:
            self._metric_cache.update(nothing)
        return resolved | nothing

    def _compound_duplicate_rows(self, metrics: dict[str, Any], **_: Any) -> int:
        """``compound_columns.unique.unexpected_count``: the rows whose values in every listed
        column are set and repeat together, as GX counts them, in one grouped pass.

        GX joins the whole table to its group counts (on equality of every listed column, so
        a row with any of them null never counts) and sums a flag per row: on the bank
        statements' 265,000 rows that query was the costliest of a validation (0.13 s CPU,
        a grouped count 0.05 s). The domain (and so GX's ``ignore_row_if``) is GX's own."""
        _condition, compute_kwargs, accessor_kwargs = metrics["unexpected_condition"]
        selectable = get_sqlalchemy_selectable(
            self.get_domain_records(domain_kwargs=dict(**compute_kwargs, **accessor_kwargs))
        )
        columns = [sa.column(name) for name in accessor_kwargs["column_list"]]
        repeated = (
            sa.select(sa.func.count().label("rows"))
            .select_from(selectable)
            .where(*(column.is_not(None) for column in columns))
            .group_by(*columns)
            .having(sa.func.count() >= 2)  # noqa: PLR2004  (GX's own threshold: _num_rows < 2 is unique)
            .subquery("repeated_groups")
        )
        return int(self.execute_query(sa.select(sa.func.coalesce(sa.func.sum(repeated.c.rows), 0))).scalar())

    def resolve_metric_bundle(self, metric_fn_bundle: Any) -> dict[Any, Any]:
        """GX's own, less its two ``logger.debug`` f-strings, which Python formats even with debug
        logging off: one compiled each bundled query to text a second time (SQLAlchemy's compiler,
        about a tenth of validation's Python), the other hashed the domain into an id. DuckDB has
        no parameter limit per query (GX sets one for Databricks only)."""
        resolved: dict[Any, Any] = {}
        for query in self._organize_metrics_by_domain(metric_fn_bundle, limit=None):
            selectable = self.get_domain_records(domain_kwargs=query["domain_kwargs"])
            assert len(query["select"]) == len(query["metric_ids"])
            if isinstance(selectable, (sa.Select, sa.TextualSelect)):
                selectable = selectable.subquery()
            try:
                res = self.execute_query(sa.select(*query["select"]).select_from(selectable)).fetchall()
            except sa.exc.OperationalError as oe:
                message = (
                    f'An SQL execution Exception occurred.  {type(oe).__name__}: "{oe!s}".  '
                    f'Traceback: "{traceback.format_exc()}".'
                )
                _engine_logger.error(message)  # noqa: TRY400  (as GX logs it)
                raise ExecutionEngineError(message=message)  # noqa: B904  (as GX raises it)
            assert len(res) == 1, "all bundle-computed metrics must be single-value statistics"
            assert len(query["metric_ids"]) == len(res[0]), "unexpected number of metrics returned"
            for idx, metric_id in enumerate(query["metric_ids"]):
                resolved[metric_id] = convert_to_json_serializable(data=res[0][idx])
        return resolved

    def close(self) -> None:
        if self._connection:
            self._connection.close()
            self._connection = None
        self.engine.dispose()


def _asks_no_values(metric: Any) -> bool:
    if not metric.metric_name.endswith(".unexpected_values"):
        return False
    asked = metric.metric_value_kwargs.get("result_format")
    return isinstance(asked, dict) and asked.get("result_format") != "COMPLETE" and asked.get("partial_unexpected_count") == 0


class _UnexpectedRowsLeftInDuckDB(UnexpectedRowsQueryTable):
    """``unexpected_rows_query.table`` for this module's engine only: no rows.

    GX fetches the rows of every unexpected-rows check (up to 200) on every validation,
    but returns them only in result format COMPLETE, which fundtrail never asks for: the
    example rows of a failed check are fetched by ``fundtrail.validate`` itself, at most
    five. On a check that passes the fetch ran the check's query a second time, to the end.
    The count the result does report is GX's own ``unexpected_rows_query.row_count``."""

    @metric_value(engine=_OneConnectionEngine)
    def _left_in_duckdb(cls, **_: Any) -> list[dict[str, Any]]:
        return []


class FundtrailDuckDBDatasource(SQLDatasource):
    type: Literal["fundtrail_duckdb"] = "fundtrail_duckdb"
    execution_engine_override = _OneConnectionEngine

    def test_connection(self, test_assets: bool = True) -> None:
        """The connection only: GxSession declares an asset for a table only when the database's
        catalog lists it, so GX's probe of each asset (a cursor, a transaction and a
        ``SELECT 1 ... LIMIT 1`` per table, 21 on a case) cannot fail."""
        super().test_connection(test_assets=False)


def result_format(key_columns: list[str], examples: int) -> dict[str, Any]:
    """``examples`` 0: every count, no failing value (BASIC, and GX's fetch of failing values
    becomes a LIMIT 0 that DuckDB answers without reading the table; LIMIT 5 on a check that
    passes reads all of it). Otherwise SUMMARY, GX's own row fetches bounded by ``examples``;
    the index query lets us fetch the exact example rows ourselves."""
    if not examples:
        return {"result_format": "BASIC", "partial_unexpected_count": 0}
    return {
        "result_format": "SUMMARY",
        "partial_unexpected_count": examples,
        "unexpected_index_column_names": key_columns,
        "return_unexpected_index_query": True,
    }


def _is_plain_json(value: Any) -> bool:
    kind = type(value)
    if value is None or kind is str or kind is int or kind is bool:
        return True
    if kind is float:
        return not math.isnan(value)
    if kind is list:
        return all(_is_plain_json(item) for item in value)
    if kind is dict:
        return all(type(key) is str and _is_plain_json(item) for key, item in value.items())
    return False


def _snapshot(value: Any) -> Any:
    """``copy.deepcopy`` of an object's state, walking its dicts and lists itself: such states
    hold little else (strings, numbers, None, enum members), and deepcopy's generic walk was
    most of the memos' cost."""
    kind = type(value)
    if kind is dict:
        return {key: _snapshot(item) for key, item in value.items()}
    if kind is list:
        return [_snapshot(item) for item in value]
    if value is None or kind in (str, int, float, bool) or isinstance(value, enum.Enum):
        return value  # what deepcopy returns for them
    return copy.deepcopy(value)


@contextlib.contextmanager
def _lean_gx() -> Iterator[None]:
    """Memos for four pure computations GX 1.24 repeats thousands of times per suite.

    Each gives what GX computes, and is dropped when the session closes:

    - ``ExpectationConfiguration.to_domain_obj`` builds (and pydantic-validates) a new
      expectation object from its configuration for every metric of every expectation;
      ``Expectation.configuration`` rebuilds the configuration from the object on every
      read (~80 reads per expectation). Both are kept per object, and are rebuilt when
      that object's state is no longer the state they were built from.
    - ``IDDict.to_id`` (the key of every metric) runs each value through
      ``convert_to_json_serializable``, whose numpy checks dominate on ``None``. For
      values that already are plain JSON that function returns them unchanged, so the
      id is the same digest of ``json.dumps`` computed here directly.
    - ``ValidationGraph.build_metric_dependency_graph`` walks a metric's whole
      dependency tree every time an expectation needs the metric (table.columns and
      table.row_count under every column check). Its edges depend on nothing but the
      metric's id and the run's configuration, so each subtree is expanded once
      (``_expand``, GX's own steps) and its edges are added again from memory, the
      same edge objects, to every later graph that needs it.
    """
    configuration = Expectation.configuration
    to_domain_obj = ExpectationConfiguration.to_domain_obj
    to_id = IDDict.to_id
    built: dict[int, tuple[Any, Any, Any]] = {}

    def remembered(source: Any, state: Any, build: Any) -> Any:
        hit = built.get(id(source))
        if hit is None or hit[0] is not source or hit[1] != state:
            hit = built[id(source)] = (source, _snapshot(state), build(source))
        return hit[2]

    def kept_configuration(self: Expectation) -> Any:
        return remembered(self, self.__dict__, configuration.fget)

    def kept_domain_obj(self: ExpectationConfiguration) -> Any:
        return remembered(self, self.__dict__, to_domain_obj)

    def plain_to_id(self: IDDict, id_keys: Any = None, id_ignore_keys: Any = None) -> Any:
        keys = set(self.keys() if id_keys is None else id_keys) - set(
            self._id_ignore_keys if id_ignore_keys is None else id_ignore_keys
        )
        if len(keys) > 1:
            data = {key: self[key] for key in keys}
            if _is_plain_json(data):
                text = json.dumps(data, sort_keys=True).encode("utf-8")
                return hashlib.md5(text, usedforsecurity=False).hexdigest()
        return to_id(self, id_keys, id_ignore_keys)

    def expanded_once(self: ValidationGraph, metric_configuration: Any, runtime_configuration: Any = None) -> list[MetricEdge]:
        key = (id(self._execution_engine), metric_configuration.id, _runtime_key(runtime_configuration))
        edges = subtrees.get(key)
        if edges is None:
            edges = subtrees[key] = _expand(self, metric_configuration, runtime_configuration, expanded_once)
        else:
            for edge in edges:
                self.add(edge)
        return edges

    subtrees: dict[tuple[Any, ...], list[MetricEdge]] = {}
    build_metric_dependency_graph = ValidationGraph.build_metric_dependency_graph
    Expectation.configuration = property(kept_configuration)  # type: ignore[method-assign]
    ExpectationConfiguration.to_domain_obj = kept_domain_obj  # type: ignore[method-assign]
    IDDict.to_id = plain_to_id  # type: ignore[method-assign]
    ValidationGraph.build_metric_dependency_graph = expanded_once  # type: ignore[method-assign]
    try:
        yield
    finally:
        Expectation.configuration = configuration  # type: ignore[method-assign]
        ExpectationConfiguration.to_domain_obj = to_domain_obj  # type: ignore[method-assign]
        IDDict.to_id = to_id  # type: ignore[method-assign]
        ValidationGraph.build_metric_dependency_graph = build_metric_dependency_graph  # type: ignore[method-assign]


def _runtime_key(runtime_configuration: Any) -> str:
    return json.dumps(runtime_configuration, sort_keys=True, default=repr)


def _expand(graph: ValidationGraph, metric_configuration: Any, runtime_configuration: Any, expand: Any) -> list[MetricEdge]:
    """``ValidationGraph.build_metric_dependency_graph``'s own steps for one metric, returning the edges it adds.

    Each dependency goes through ``expand`` (which adds a subtree already expanded in this
    session from memory, and returns its edges) instead of GX's recursion."""
    klass, _provider = graph.set_metric_configuration_default_kwargs_if_absent(metric_configuration=metric_configuration)
    dependencies = klass.get_evaluation_dependencies(
        metric=metric_configuration,
        execution_engine=graph._execution_engine,
        runtime_configuration=runtime_configuration,
    )
    if len(dependencies) == 0:
        edge = MetricEdge(left=metric_configuration)
        graph.add(edge)
        return [edge]
    metric_configuration.metric_dependencies = dependencies
    edges = []
    for dependency in dependencies.values():
        if dependency.id == metric_configuration.id:
            _graph_logger.warning(f"Metric {metric_configuration.id!s} has created a circular dependency")
            continue
        edge = MetricEdge(left=metric_configuration, right=dependency)
        graph.add(edge)
        edges.append(edge)
        edges.extend(expand(graph, dependency, runtime_configuration))
    return edges


def _config_key(config: Any) -> str:
    """Names one expectation of a suite across two validations (batch_id differs per batch)."""
    kwargs = {k: v for k, v in config.kwargs.items() if k != "batch_id"}
    return json.dumps([config.type, kwargs, config.meta], sort_keys=True, default=str)


class GxSession:
    """One ephemeral GX context bound to one DuckDB database file, with an asset per table."""

    def __init__(self, con: duckdb.DuckDBPyConnection, db_label: str, tables: list[str]) -> None:
        self._lean = _lean_gx()
        self._lean.__enter__()
        self.context = gx.get_context(mode="ephemeral")
        self.context.enable_analytics(False)
        self.context.variables.progress_bars = ProgressBarsConfig(globally=False)
        # All assets in the one call: GX writes the whole project config out as YAML after
        # every asset or batch definition added one at a time.
        self.datasource = self.context.data_sources.add_fundtrail_duckdb(
            "case",
            connection_string=f"duckdb:///{db_label}",
            kwargs={"creator": lambda: duckdb_engine.ConnectionWrapper(con.cursor())},
            assets=[
                {"name": table, "type": "table", "table_name": table, "batch_definitions": [{"name": "all"}]}
                for table in tables
            ],
        )
        engine = self.datasource.get_execution_engine()
        if isinstance(engine, _OneConnectionEngine):
            engine.catalog = _DuckDBCatalog(con, engine.get_inspector())

    def validate(
        self, table: str, suite: gx.ExpectationSuite, key_columns: list[str], examples: int
    ) -> list[Any]:
        """The suite's expectation results, in GX's order: counts for all, failing rows for the failed."""
        batch = self.datasource.get_asset(table).get_batch_definition("all").get_batch()
        results = batch.validate(suite, result_format=result_format(key_columns, 0)).results
        failed = {_config_key(r.expectation_config) for r in results if not r.success}
        if not failed:
            return results
        again = gx.ExpectationSuite(
            name=suite.name,
            expectations=[e for e in suite.expectations if _config_key(e.configuration) in failed],
        )
        detailed = {
            _config_key(r.expectation_config): r
            for r in batch.validate(again, result_format=result_format(key_columns, examples)).results
        }
        return [detailed.get(_config_key(r.expectation_config), r) for r in results]

    def close(self) -> None:
        try:
            engine = self.datasource.get_execution_engine()
            if isinstance(engine, _OneConnectionEngine):
                engine.close()
            self.datasource.get_engine().dispose()
        finally:
            self._lean.__exit__(None, None, None)
