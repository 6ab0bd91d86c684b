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

Importing this module imports GX (~3 s), so fundtrail.validate imports it only
when a validation runs.
"""

from __future__ import annotations

import os

# GX Core 1.24 ships no usage-statistics code at all (no analytics module, no
# PostHog client, nothing reads GX_ANALYTICS_ENABLED); setting the variable keeps
# a future version that reads it quiet as well.
os.environ["GX_ANALYTICS_ENABLED"] = "false"
# GX's validator ignores an ephemeral context's progress-bar setting on large tables and
# draws tqdm bars over the CLI's stage display; tqdm itself honours this variable.
os.environ.setdefault("TQDM_DISABLE", "1")

import contextlib  # noqa: E402
import logging  # noqa: E402
from collections.abc import Iterator  # noqa: E402
from typing import Any, Literal  # noqa: E402

import duckdb  # noqa: E402
import duckdb_engine  # noqa: E402
import great_expectations as gx  # noqa: E402
import sqlalchemy as sa  # noqa: E402
from great_expectations.data_context.types.base import ProgressBarsConfig  # noqa: E402
from great_expectations.datasource.fluent import SQLDatasource  # noqa: E402
from great_expectations.execution_engine import SqlAlchemyExecutionEngine  # noqa: E402

# GX pins this module's logger at INFO, so every run announced its temporary docs folder.
logging.getLogger("great_expectations.data_context.types.base").setLevel(logging.WARNING)


class _OneConnectionEngine(SqlAlchemyExecutionEngine):
    """Keeps one open connection so results stay readable after GX's ``with`` block ends."""

    @contextlib.contextmanager
    def get_connection(self) -> Iterator[sa.Connection]:
        if not self._connection:
            self._connection = self.engine.connect()
        yield self._connection

    def execute_query(self, query: Any) -> Any:
        # A failed statement aborts DuckDB's transaction; without a rollback every
        # later expectation on the shared connection would fail as well.
        try:
            return super().execute_query(query)
        except sa.exc.DBAPIError:
            if self._connection:
                self._connection.rollback()
            raise

    def close(self) -> None:
        if self._connection:
            self._connection.close()
            self._connection = None
        self.engine.dispose()


class FundtrailDuckDBDatasource(SQLDatasource):
    type: Literal["fundtrail_duckdb"] = "fundtrail_duckdb"
    execution_engine_override = _OneConnectionEngine


def result_format(key_columns: list[str], examples: int) -> dict[str, Any]:
    """SUMMARY keeps GX's own row fetches bounded (LIMIT partial_unexpected_count);
    the index query lets us fetch exact example rows ourselves."""
    return {
        "result_format": "SUMMARY",
        "partial_unexpected_count": examples,
        "unexpected_index_column_names": key_columns,
        "return_unexpected_index_query": True,
    }


class GxSession:
    """One ephemeral GX context bound to one DuckDB database file."""

    def __init__(self, con: duckdb.DuckDBPyConnection, db_label: str) -> None:
        self.context = gx.get_context(mode="ephemeral")
        self.context.enable_analytics(False)
        self.context.variables.progress_bars = ProgressBarsConfig(globally=False)
        self.datasource = self.context.data_sources.add_fundtrail_duckdb(
            "case",
            connection_string=f"duckdb:///{db_label}",
            kwargs={"creator": lambda: duckdb_engine.ConnectionWrapper(con.cursor())},
        )

    def validate(
        self, table: str, suite: gx.ExpectationSuite, key_columns: list[str], examples: int
    ) -> Any:
        asset = self.datasource.add_table_asset(table, table_name=table)
        batch = asset.add_batch_definition_whole_table("all").get_batch()
        return batch.validate(suite, result_format=result_format(key_columns, examples))

    def close(self) -> None:
        engine = self.datasource.get_execution_engine()
        if isinstance(engine, _OneConnectionEngine):
            engine.close()
        self.datasource.get_engine().dispose()

