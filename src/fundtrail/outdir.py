"""The output folder: what a run may replace, the lock that keeps two runs apart, leftovers.

A run replaces OUT_DIR as a whole when it finishes, so it may only ever be
given a folder it is allowed to delete: one that does not exist yet, an empty
one, or the output of an earlier run (it holds the ``manifest.json`` a run
writes). Anything else is refused before any work starts, as is a folder
that holds the case folder or the current folder, and one that cannot be
written (docs/safety.md).
"""

from __future__ import annotations

import fcntl
import glob
import json
import os
import shutil
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from fundtrail import messages
from fundtrail.errors import OutputFolderError

MANIFEST = "manifest.json"
# Keys every manifest.json of a run has (outputs.md); a folder whose manifest has them is a run's output.
MANIFEST_KEYS = frozenset({"case_id", "code_version", "case_toml", "inputs"})
# One lock file per OUT_DIR, beside it: the lock is held from start_run to finish_run/abandon_run.
_held: dict[Path, int] = {}


def check_output_folder(out_dir: str | Path, case_dir: Path | None = None) -> Path:
    """The resolved OUT_DIR, or OutputFolderError naming why a run must not replace it."""
    if not str(out_dir).strip():
        raise OutputFolderError(code="outdir.empty_out")
    out = Path(out_dir).resolve()
    if out.parent == out:
        raise OutputFolderError(code="outdir.root", out=out)
    if case_dir is not None:
        case_dir = Path(case_dir).resolve()
        if out == case_dir or out.is_relative_to(case_dir):
            raise OutputFolderError(code="outdir.inside_case", out=out, case_dir=case_dir)
        if case_dir.is_relative_to(out):
            raise OutputFolderError(code="outdir.holds_case", out=out, case_dir=case_dir)
    cwd = Path.cwd().resolve()
    if cwd.is_relative_to(out):
        raise OutputFolderError(code="outdir.holds_cwd", out=out)
    return _replaceable(out, is_run_output, is_file="outdir.is_file", not_empty="outdir.not_empty")


def check_generate_folder(out_dir: str | Path) -> Path:
    """Where ``generate`` may write: nothing there yet, an empty folder, or a case it generated earlier."""
    if not str(out_dir).strip():
        raise OutputFolderError(code="outdir.generate_empty_out")
    out = Path(out_dir).resolve()
    return _replaceable(out, is_generated_case, is_file="outdir.generate_is_file", not_empty="outdir.generate_not_empty")


def _replaceable(out: Path, made_earlier: Callable[[Path], bool], *, is_file: str, not_empty: str) -> Path:
    """``out`` if a command may replace it (missing, empty, or ``made_earlier`` by fundtrail) and write beside it.

    ``is_file`` and ``not_empty`` are the catalogue codes of the two refusals, which name the command's folder.
    """
    if out.exists() and not out.is_dir():
        raise OutputFolderError(code=is_file, out=out)
    if out.is_dir() and any(out.iterdir()) and not made_earlier(out):
        raise OutputFolderError(code=not_empty, out=out, manifest=MANIFEST)
    _check_writable(out)
    return out


def is_run_output(folder: Path) -> bool:
    return earlier_manifest(folder) is not None


def earlier_manifest(folder: Path) -> dict | None:
    """The manifest.json of the run whose output ``folder`` is, or None if it is not a run's output."""
    try:
        manifest = json.loads((Path(folder) / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return None
    return manifest if isinstance(manifest, dict) and MANIFEST_KEYS <= manifest.keys() else None


def is_generated_case(folder: Path) -> bool:
    try:
        truth = json.loads((folder / "truth.json").read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return False
    return isinstance(truth, dict) and (folder / "case.toml").is_file()


def lock(out: Path) -> None:
    """Take OUT_DIR's lock for this run, or OutputFolderError when another run holds it."""
    out.parent.mkdir(parents=True, exist_ok=True)
    lock_path = _lock_path(out)
    while True:
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 32).decode(errors="replace").strip() or "?"
            os.close(fd)
            raise OutputFolderError(code="outdir.locked", out=out, holder=holder) from None
        # The holder before us removes the file when it lets go: a lock on a removed file is no lock.
        try:
            same = os.stat(lock_path).st_ino == os.fstat(fd).st_ino
        except FileNotFoundError:
            same = False
        if same:
            break
        os.close(fd)
    os.ftruncate(fd, 0)
    os.write(fd, f"{os.getpid()}\n".encode())
    _held[out] = fd


def unlock(out: Path) -> None:
    fd = _held.pop(out, None)
    if fd is None:
        return
    try:
        _lock_path(out).unlink(missing_ok=True)
    finally:
        os.close(fd)


def remove_stale(out: Path, lang: str = "en") -> list[str]:
    """Folders interrupted runs left beside OUT_DIR (their PID is gone): removed, or put back.

    Called with the lock held, so no live run owns them. A ``.previous-PID``
    folder is the last finished output, moved aside when its run was stopped
    between the two renames of finish_run: it goes back to OUT_DIR if that is
    missing. Returns one sentence per folder, for the user, in ``lang`` (the
    run's; English for a caller that names none).
    """
    notes = []
    prefix = f".{out.name}."
    for kind in ("partial", "previous"):
        for leftover in sorted(out.parent.glob(glob.escape(prefix) + kind + "-*")):
            pid = leftover.name.rsplit("-", 1)[1]
            if not pid.isdigit() or int(pid) == os.getpid() or _alive(int(pid)):
                continue
            if kind == "previous" and not out.exists():
                leftover.rename(out)
                notes.append(messages.text("outdir.put_back", lang, out=out, pid=pid))
            else:
                shutil.rmtree(leftover)
                notes.append(messages.text("outdir.removed", lang, folder=leftover, pid=pid))
    for note in notes:
        print(messages.text("cli.prefix", lang, message=note), file=sys.stderr)
    return notes


def _lock_path(out: Path) -> Path:
    return out.parent / f".{out.name}.lock"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _check_writable(out: Path) -> None:
    """A run writes beside OUT_DIR (its staging folder) and deletes the old OUT_DIR: try both now.

    A real write, not os.access: a read-only mount, or a run as root, makes
    os.access answer for permission bits the kernel will not honour.
    """
    parent = out.parent
    while not parent.exists():
        parent = parent.parent
    if not parent.is_dir():
        raise OutputFolderError(code="outdir.parent_is_file", out=out, parent=parent)
    folders = [parent]
    if out.is_dir():
        folders += [Path(root) for root, _dirs, _files in os.walk(out)]
    for folder in folders:
        try:
            fd, probe = tempfile.mkstemp(dir=folder, prefix=".fundtrail-probe-")
            os.close(fd)
            os.unlink(probe)
        except OSError as exc:
            raise OutputFolderError(code="outdir.not_writable", out=out, folder=folder, reason=exc.strerror) from None
