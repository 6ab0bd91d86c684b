"""Issue 9 items 1, 6 and 7: what a run or generate may replace, the lock, leftovers of killed runs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from flows.cli import main
from fundtrail import outdir, pipeline
from fundtrail.errors import OutputFolderError

CASE_TOML = '[case]\nid = "x"\n[[source]]\nkind = "victims"\npath = "victims.csv"\n'


@pytest.fixture
def case_dir(tmp_path: Path) -> Path:
    case = tmp_path / "work" / "case"
    case.mkdir(parents=True)
    (case / "case.toml").write_text(CASE_TOML, encoding="utf-8")
    (case / "victims.csv").write_text("victim_id,name,account_no\nV1,张三,6217000000000011\n", encoding="utf-8")
    return case


def run_cli(argv: list[str], capsys) -> tuple[int, str]:
    code = main(argv)
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return code, err


def dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


# ---------------------------------------------------------------- item 1: never replace what is not ours


def test_out_holding_the_case_folder_is_refused_and_nothing_is_touched(case_dir: Path, capsys) -> None:
    work = case_dir.parent
    (work / "notes.txt").write_text("keep me", encoding="utf-8")
    code, err = run_cli(["run", "--lang", "en", str(case_dir), "--out", str(work)], capsys)
    assert code == 1
    assert f"{work}: the output folder holds the case folder {case_dir}" in err
    assert (case_dir / "victims.csv").is_file() and (work / "notes.txt").read_text(encoding="utf-8") == "keep me"


def test_out_dot_is_refused(case_dir: Path, tmp_path: Path, capsys, monkeypatch) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "mine.txt").write_text("x", encoding="utf-8")
    monkeypatch.chdir(elsewhere)
    code, err = run_cli(["run", "--lang", "en", str(case_dir), "--out", "."], capsys)
    assert code == 1
    assert "is (or holds) the current folder" in err
    assert (elsewhere / "mine.txt").is_file()


def test_out_empty_is_a_usage_error(case_dir: Path, capsys) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["run", "--lang", "en", str(case_dir), "--out", ""])
    assert exc.value.code == 2
    assert "--out: an empty folder name" in capsys.readouterr().err
    with pytest.raises(OutputFolderError, match="--out is empty"):
        outdir.check_output_folder("", case_dir)


def test_a_folder_that_is_not_an_earlier_output_is_refused(case_dir: Path, tmp_path: Path) -> None:
    other = tmp_path / "photos"
    other.mkdir()
    (other / "holiday.jpg").write_bytes(b"\xff\xd8")
    with pytest.raises(OutputFolderError, match=r"photos: the output folder is not empty and holds no manifest.json"):
        outdir.check_output_folder(other, case_dir)
    # A manifest.json that is not a run's (another tool's) does not make it one.
    (other / "manifest.json").write_text('{"name": "app"}', encoding="utf-8")
    with pytest.raises(OutputFolderError, match="not empty"):
        outdir.check_output_folder(other, case_dir)


def test_absent_empty_and_earlier_outputs_are_accepted(case_dir: Path, tmp_path: Path) -> None:
    assert outdir.check_output_folder(tmp_path / "new" / "out", case_dir) == tmp_path / "new" / "out"
    (tmp_path / "empty").mkdir()
    assert outdir.check_output_folder(tmp_path / "empty", case_dir) == tmp_path / "empty"
    earlier = tmp_path / "earlier"
    earlier.mkdir()
    manifest = {"case_id": "x", "code_version": "1", "case_toml": {}, "inputs": [], "totals": {}}
    (earlier / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    (earlier / "entries.csv").write_text("", encoding="utf-8")
    assert outdir.check_output_folder(earlier, case_dir) == earlier


def test_out_that_is_a_file_is_refused_before_anything_runs(case_dir: Path, tmp_path: Path, capsys) -> None:
    target = tmp_path / "out.txt"
    target.write_text("a file", encoding="utf-8")
    code, err = run_cli(["run", "--lang", "en", str(case_dir), "--out", str(target)], capsys)
    assert code == 1
    assert f"{target}: the output folder is a file, not a folder" in err
    assert target.read_text(encoding="utf-8") == "a file"
    assert not list(tmp_path.glob(".out.txt.*"))


def test_generate_into_a_case_folder_or_a_file_is_refused(case_dir: Path, tmp_path: Path, capsys) -> None:
    code, err = run_cli(["generate", "--lang", "en", "fraud", "--out", str(case_dir)], capsys)
    assert code == 1
    assert f"{case_dir}: the folder is not empty and is not a case fundtrail generated" in err
    assert sorted(p.name for p in case_dir.iterdir()) == ["case.toml", "victims.csv"]
    target = tmp_path / "file.csv"
    target.write_text("a,b\n", encoding="utf-8")
    code, err = run_cli(["generate", "--lang", "en", "info", "--out", str(target)], capsys)
    assert code == 1
    assert f"{target}: is a file, not a folder" in err
    with pytest.raises(SystemExit) as exc:
        main(["generate", "--lang", "en", "fraud", "--out", ""])
    assert exc.value.code == 2


# ---------------------------------------------------------------- item 6: writability checked first


def test_unwritable_parent_or_out_dir_is_refused_before_the_run(case_dir: Path, tmp_path: Path, monkeypatch) -> None:
    """Simulated with a failing probe: the tests may run as root, for whom chmod means nothing."""
    earlier = tmp_path / "earlier"
    (earlier / "validation").mkdir(parents=True)
    manifest = {"case_id": "x", "code_version": "1", "case_toml": {}, "inputs": []}
    (earlier / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    real_mkstemp = tempfile.mkstemp
    read_only = {earlier / "validation"}

    def mkstemp(dir=None, prefix=None, **kwargs):
        if Path(dir) in read_only:
            raise PermissionError(13, "Permission denied")
        return real_mkstemp(dir=dir, prefix=prefix, **kwargs)

    monkeypatch.setattr(tempfile, "mkstemp", mkstemp)
    with pytest.raises(OutputFolderError, match=r"cannot write into .*earlier/validation \(Permission denied\)"):
        outdir.check_output_folder(earlier, case_dir)
    read_only.clear()
    read_only.add(tmp_path)
    with pytest.raises(OutputFolderError, match=r"new: cannot write into .* \(Permission denied\)"):
        outdir.check_output_folder(tmp_path / "new", case_dir)


# ---------------------------------------------------------------- item 7: lock and leftovers


def test_a_second_run_into_a_locked_out_dir_is_refused(tmp_path: Path) -> None:
    out = tmp_path / "out"
    first = pipeline.start_run(out)
    try:
        with pytest.raises(OutputFolderError, match=rf"another fundtrail run \(PID {os.getpid()}\) is writing"):
            pipeline.start_run(out)
    finally:
        pipeline.abandon_run(first)
    second = pipeline.start_run(out)  # released: the next run may start
    pipeline.abandon_run(second)
    assert not (tmp_path / ".out.lock").exists()


def test_the_lock_holds_across_processes(tmp_path: Path) -> None:
    out = tmp_path / "out"
    first = pipeline.start_run(out)
    try:
        child = subprocess.run(
            [sys.executable, "-c", f"from fundtrail import pipeline; pipeline.start_run({str(out)!r})"],
            capture_output=True,
            text=True,
            env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
        )
    finally:
        pipeline.abandon_run(first)
    assert child.returncode != 0
    assert "another fundtrail run" in child.stderr


def test_stale_partial_folders_are_removed_and_said(tmp_path: Path, capsys) -> None:
    out = tmp_path / "out"
    pid = dead_pid()
    stale = tmp_path / f".out.partial-{pid}"
    (stale / "_scratch").mkdir(parents=True)
    (stale / "victims.csv").write_text("V1,张三,6217000000000011\n", encoding="utf-8")
    live = tmp_path / f".out.partial-{os.getppid()}"  # a process that is running: not ours to remove
    live.mkdir()
    paths = pipeline.start_run(out)
    pipeline.abandon_run(paths)
    err = capsys.readouterr().err
    assert f"removed {stale}, left by an interrupted run (PID {pid})" in err
    assert not stale.exists() and live.exists()


def test_an_output_moved_aside_by_a_killed_run_is_put_back(tmp_path: Path, capsys) -> None:
    out = tmp_path / "out"
    pid = dead_pid()
    aside = tmp_path / f".out.previous-{pid}"
    aside.mkdir()
    (aside / "manifest.json").write_text("{}", encoding="utf-8")
    pipeline.abandon_run(pipeline.start_run(out))
    assert "put back" in capsys.readouterr().err
    assert (out / "manifest.json").is_file() and not aside.exists()
