"""The SQL folder's conventions: one model per file, named after it, with its grain and inputs stated."""

from __future__ import annotations

import re

import pytest

from fundtrail import sqlrun
from fundtrail.errors import SqlStepError
from fundtrail.kinds import KINDS

MODELS = sqlrun.models()


@pytest.mark.parametrize("name", sorted(MODELS))
def test_each_file_creates_the_model_it_is_named_after_and_states_grain_and_inputs(name):
    model = MODELS[name]
    assert model.sql.startswith(f"-- {name}: "), f"{model.origin} must open with '-- {name}: <grain>'"
    assert re.search(r"^-- Inputs: ", model.sql, flags=re.M), f"{model.origin} must name its inputs"
    kind = "macro" if model.layer == "macros" else "(?:table|view)"
    created = re.findall(rf"create or replace {kind} (\w+)", model.sql, flags=re.I)
    assert created == [name], f"{model.origin} creates {created}"


def test_no_float_types_in_sql():
    for model in MODELS.values():
        code = re.sub(r"--[^\n]*", "", model.sql)
        assert not re.search(r"\b(float|double|real)\b", code, flags=re.I), model.origin


def test_every_kind_has_a_staging_view_made_from_kinds_toml():
    staged = {name: m for name, m in MODELS.items() if m.layer == "staging"}
    assert sorted(staged) == sorted([*(f"stg_{kind}" for kind in KINDS), "staged_money"])
    assert staged["stg_frozen"].origin == "kinds.toml (frozen)"
    # staged_money reads every kind's view, so staged_files counts a kind added to kinds.toml
    assert staged["staged_money"].depends_on == {f"stg_{kind}" for kind in KINDS}


def test_build_order_puts_dependencies_first():
    order = [m.name for m in sqlrun.build_order(["defendants"])]
    assert order.index("roster_periods") < order.index("defendants")
    assert order.index("entries") < order.index("defendants")


def test_a_failing_statement_names_its_file(tmp_path):
    import duckdb

    (tmp_path / "core").mkdir()
    (tmp_path / "core" / "broken.sql").write_text(
        "-- broken: nothing.\n-- Inputs: none.\ncreate or replace table broken as select * from missing_table;\n",
        encoding="utf-8",
    )
    with pytest.raises(SqlStepError, match=r"core/broken.sql: CatalogException.*missing_table"):
        sqlrun.build(duckdb.connect(), ["broken"], sql_root=tmp_path)


def test_row_ids_sort_by_file_then_row_number_through_the_macro():
    import duckdb

    con = duckdb.connect()
    assert sqlrun.build(con, ["row_id_order"]) == ["row_id_order"]
    ids = ["a.csv:10", "b.csv:1", "a.csv:9", "D01", "a.csv:100", "dir/a:b.csv:2", None]
    con.execute("create table t as select unnest(?::VARCHAR[]) as id", [ids])
    ordered = [r[0] for r in con.execute("select id from t order by row_id_order(id)").fetchall()]
    # D01 is no row id (file ''): before the ids; a file name may hold ':'; null last.
    assert ordered == ["D01", "a.csv:9", "a.csv:10", "a.csv:100", "b.csv:1", "dir/a:b.csv:2", None]
    assert con.execute("select row_id_order('dir/a:b.csv:2').file, row_id_order('x.csv:7').row").fetchall() == [
        ("dir/a:b.csv", 7)
    ]


def test_models_that_order_row_ids_depend_on_the_macro():
    assert MODELS["row_id_order"].layer == "macros"
    for name in ("entries", "unvalidated", "entry_candidates", "decision_confirms", "decision_checks"):
        assert "row_id_order" in MODELS[name].depends_on, name
    order = [m.name for m in sqlrun.build_order(["entries"])]
    assert order.index("row_id_order") < order.index("entries")
