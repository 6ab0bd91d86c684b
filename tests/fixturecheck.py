"""What both hand-made fixture tests read and check: output tables, the case folder, the manifest."""

from __future__ import annotations

import csv
import hashlib
import json
from decimal import Decimal
from pathlib import Path


def read_table(out_dir: Path, name: str) -> tuple[list[str], list[dict[str, str]]]:
    """Header and rows of an output CSV (UTF-8 with BOM)."""
    with open(out_dir / f"{name}.csv", encoding="utf-8-sig", newline="") as f:
        reader = csv.DictReader(f)
        return list(reader.fieldnames or []), list(reader)


def tree_digest(root: Path) -> dict[str, str]:
    """SHA-256 of every file below root, to show a run left the case folder untouched."""
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def manifest_inputs_match(out: Path, case_dir: Path, expected: dict[str, tuple]) -> dict[str, dict]:
    """Assert manifest.json `inputs` against (kind, read, loaded, quarantined, duplicate, in, out) per file.

    An amount given as None is not checked; `amount_out` is compared by its absolute value.
    Returns the inputs by path for further checks.
    """
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    inputs = {item["path"]: item for item in manifest["inputs"]}
    assert set(inputs) == set(expected), "inputs must be exactly the evidence files"
    for path, (kind, read, loaded, quarantined, duplicate, amount_in, amount_out) in expected.items():
        item = inputs[path]
        assert item["kind"] == kind, path
        assert item["sha256"] == hashlib.sha256((case_dir / path).read_bytes()).hexdigest(), path
        counts = (item["rows_read"], item["rows_loaded"], item["rows_quarantined"], item["rows_duplicate"])
        assert counts == (read, loaded, quarantined, duplicate), path
        if amount_in is not None:
            assert Decimal(item["amount_in"]) == Decimal(amount_in), path
        if amount_out is not None:
            assert abs(Decimal(item["amount_out"])) == Decimal(amount_out), path
    return inputs
