"""The command line: exit codes of outputs.md and messages without tracebacks."""

from __future__ import annotations

import pytest

from flows.cli import main


def test_usage_error_exits_2(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["run"])
    assert exc.value.code == 2
    assert "usage" in capsys.readouterr().err


def test_missing_case_toml_exits_1_naming_the_file(tmp_path, capsys):
    code = main(["run", "--lang", "en", str(tmp_path), "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 1
    assert "case.toml" in err and "Traceback" not in err
    assert not (tmp_path / "out").exists()


def test_unknown_key_exits_1_naming_the_key(tmp_path, capsys):
    (tmp_path / "case.toml").write_text('[case]\nid = "x"\ncolour = "red"\n', encoding="utf-8")
    code = main(["run", "--lang", "en", str(tmp_path), "--out", str(tmp_path / "out")])
    assert code == 1
    assert "unknown key case.colour" in capsys.readouterr().err


def test_missing_column_stops_the_run_before_anything_is_loaded(tmp_path, capsys):
    case = tmp_path / "case"
    case.mkdir()
    (case / "bank.csv").write_text("账号,时间\n6222,2023-06-01 10:00\n", encoding="utf-8")
    (case / "case.toml").write_text(
        '[case]\nid = "x"\n[[source]]\nkind = "bank_statement"\npath = "bank.csv"\n'
        '[source.columns]\naccount_no = "账号"\nts = "时间"\n',
        encoding="utf-8",
    )
    code = main(["run", "--lang", "en", str(case), "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 1
    assert "bank.csv: required column 'amount' of bank_statement is missing" in err
    assert "'账号', '时间'" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["case"]  # no output, no staging folder, no lock


def test_output_inside_the_case_folder_is_refused(tmp_path, capsys):
    (tmp_path / "case.toml").write_text('[case]\nid = "x"\n', encoding="utf-8")
    code = main(["run", "--lang", "en", str(tmp_path), "--out", str(tmp_path / "out")])
    assert code == 1
    assert "must not be inside the case folder" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()
