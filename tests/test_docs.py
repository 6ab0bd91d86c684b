"""The user's reference in docs/ stays true to the code, and stays inside the repository.

Every kind and canonical column (kinds.KINDS), every case.toml key config.py
accepts, every preset and preset-file key, and every table and column a run
publishes must be documented where a user looks for it; every relative link
in README.md and docs/ must lead to a file (and heading) of the repository;
and no file may send the user to the project's shared folder, which users do
not have.
"""

from __future__ import annotations

import ast
import json
import re
import subprocess
from pathlib import Path

import pytest

from fundtrail import config, pipeline
from fundtrail.ingest import presets as preset_files
from fundtrail.kinds import KINDS

REPO = Path(__file__).resolve().parents[1]
DOCS = REPO / "docs"
# Spelled in pieces so that this file does not match itself.
FORBIDDEN = ("../" + "shared", "shared/" + "samples", "shared/" + "spec")
LINK = re.compile(r"(?<!!)\[[^\]]*\]\(([^)\s]+)\)")


def doc(name: str) -> str:
    return (DOCS / name).read_text(encoding="utf-8")


def section(text: str, heading: str) -> str:
    """The text under the first heading whose title is ``heading``, up to the next heading of its level or higher."""
    lines = text.splitlines()
    for i, line in enumerate(lines):
        match = re.match(r"^(#+)\s+(.*?)\s*$", line)
        if match and match.group(2) == heading:
            level = len(match.group(1))
            body = []
            for later in lines[i + 1 :]:
                deeper = re.match(r"^(#+)\s", later)
                if deeper and len(deeper.group(1)) <= level:
                    break
                body.append(later)
            return "\n".join(body)
    raise AssertionError(f"no heading {heading!r}")


def table_rows(text: str) -> dict[str, list[str]]:
    """Markdown table rows keyed by their first cell's `name`: the remaining cells, stripped."""
    rows = {}
    for line in text.splitlines():
        match = re.match(r"^\|\s*`([^`]+)`\s*\|(.*)\|\s*$", line)
        if match:
            rows[match.group(1)] = [cell.strip() for cell in match.group(2).split("|")]
    return rows


# ---------------------------------------------------------------- case.toml and kinds


def test_every_kind_and_column_is_documented_with_its_type_and_requiredness() -> None:
    text = doc("case-format.md")
    for kind, columns in KINDS.items():
        rows = table_rows(section(text, f"`{kind}`"))
        for col in columns:
            assert col.name in rows, f"case-format.md: kind {kind} lacks a row for column {col.name}"
            type_cell, required_cell = rows[col.name][0], rows[col.name][1]
            assert type_cell == col.type, f"{kind}.{col.name}: documented type {type_cell!r}, code says {col.type!r}"
            if col.required:
                assert required_cell.startswith("yes"), f"{kind}.{col.name} is required in the code"
            else:
                assert required_cell.startswith(("no", "for ")), f"{kind}.{col.name} is optional in the code"
        documented = set(rows)
        assert documented == {c.name for c in columns}, f"{kind}: docs list columns the code lacks: {documented - {c.name for c in columns}}"


def _allowed_keys() -> list[tuple[str, object]]:
    """(section, allowed keys) of every `_no_unknown` check in config.py, read from the code itself.

    The allowed set is a literal, a module name (CASE_KEYS) or set(NAME) (MATCHING_DEFAULTS, ROLES);
    the section is the prefix argument ("case." → case); a prefix built at run time is the [[source]] one.
    """
    tree = ast.parse(Path(config.__file__).read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and getattr(node.func, "id", None) == "_no_unknown"):
            continue
        allowed_node, prefix_node = node.args[1], node.args[2]
        if isinstance(allowed_node, ast.Set):
            allowed: object = {ast.literal_eval(e) for e in allowed_node.elts}
        elif isinstance(allowed_node, ast.Name):
            allowed = getattr(config, allowed_node.id)
        elif isinstance(allowed_node, ast.Call) and getattr(allowed_node.func, "id", None) == "set":
            allowed = getattr(config, allowed_node.args[0].id)
        else:
            raise AssertionError(f"config.py line {node.lineno}: cannot read the allowed keys")
        if isinstance(prefix_node, ast.Constant):
            section_name = prefix_node.value.rstrip(".")
        else:
            section_name = "source"
        found.append((section_name, allowed))
    return found


def test_the_key_reader_finds_every_section_of_case_toml() -> None:
    sections = {name for name, _ in _allowed_keys()}
    assert {"", "case", "matching", "liability", "info", "source"} <= sections


def test_every_case_toml_key_config_accepts_is_documented_in_its_section() -> None:
    text = doc("case-format.md")
    for section_name, allowed in _allowed_keys():
        if section_name == "":
            for table in allowed:
                heading = "[[source]]" if table == "source" else f"[{table}]"
                section(text, heading)  # raises when the table has no heading
            continue
        heading = "[[source]]" if section_name == "source" else f"[{section_name}]"
        rows = table_rows(section(text, heading))
        for key in allowed:
            assert key in rows, f"case-format.md {heading}: key {key} is accepted by config.py but not documented"
        if isinstance(allowed, dict):  # a *_DEFAULTS table: the documented default must be the code's
            for key, default in allowed.items():
                shown = f'"{default}"' if isinstance(default, str) else json.dumps(default) if isinstance(default, list) else str(default)
                assert shown in rows[key][1], f"{heading} {key}: documented default {rows[key][1]!r}, code says {shown}"


# ---------------------------------------------------------------- presets


def test_every_preset_is_listed() -> None:
    rows = table_rows(section(doc("presets.md"), "The presets"))
    for name in preset_files.preset_names():
        assert name in rows, f"presets.md does not list preset {name}"


def test_every_preset_file_key_is_documented() -> None:
    text = section(doc("presets.md"), "The preset file format")
    keys = preset_files.PRESET_KEYS | preset_files.SPLIT_KEYS | preset_files.PREAMBLE_KEYS | preset_files.SUMMARY_KEYS
    for key in sorted(keys):
        assert re.search(rf"`[^`\n]*\b{re.escape(key)}\b[^`\n]*`", text), f"presets.md: preset key {key} undocumented"


# ---------------------------------------------------------------- outputs


@pytest.fixture(scope="module")
def fixture_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("docs") / "out"
    pipeline.run_case(REPO / "data" / "fixture-fraud", out)
    return out


def published_tables() -> list[str]:
    return [t for name in dir(pipeline) if name.endswith("_TABLES") for t in getattr(pipeline, name)]


def test_the_published_tables_are_found() -> None:
    assert {"defendants", "victims", "entries", "payments", "quarantine"} <= set(published_tables())


def test_every_published_table_and_column_is_documented(fixture_run: Path) -> None:
    text = doc("outputs.md")
    csv_tables = {p.stem for p in fixture_run.glob("*.csv")}
    assert set(published_tables()) <= csv_tables
    for table in sorted(csv_tables):
        rows = table_rows(section(text, table))
        header = (fixture_run / f"{table}.csv").read_text(encoding="utf-8-sig").splitlines()[0].split(",")
        for column in header:
            assert column in rows, f"outputs.md {table}: column {column} is published but not documented"


def test_every_manifest_field_is_documented(fixture_run: Path) -> None:
    documented = set()
    for line in section(doc("outputs.md"), "manifest.json").splitlines():
        if line.startswith("|"):
            first_cell = line.split("|")[1]
            documented |= set(re.findall(r"`([^`]+)`", first_cell))  # "`case_id`, `title`": two fields
    manifest = json.loads((fixture_run / "manifest.json").read_text(encoding="utf-8"))
    for field in manifest:
        assert field in documented, f"outputs.md: manifest field {field} undocumented"
    for item in manifest["inputs"]:
        for field in item:
            assert field in documented, f"outputs.md: manifest inputs field {field} undocumented"


# ---------------------------------------------------------------- links and the shared folder


def slug(heading: str) -> str:
    """The anchor GitHub gives a heading: lower case, punctuation dropped, spaces as hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def anchors(path: Path) -> set[str]:
    seen: dict[str, int] = {}
    result = set()
    in_code = False
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("```"):
            in_code = not in_code
        match = None if in_code else re.match(r"^#+\s+(.*?)\s*$", line)
        if match:
            base = slug(match.group(1))
            n = seen.get(base, 0)
            seen[base] = n + 1
            result.add(base if n == 0 else f"{base}-{n}")
    return result


MARKDOWN = [REPO / "README.md", *sorted(DOCS.glob("*.md"))]


@pytest.mark.parametrize("page", MARKDOWN, ids=lambda p: p.relative_to(REPO).as_posix())
def test_every_relative_link_resolves_inside_the_repository(page: Path) -> None:
    text = re.sub(r"```.*?```", "", page.read_text(encoding="utf-8"), flags=re.S)
    links = LINK.findall(text)
    for target in links:
        if re.match(r"^[a-z]+:", target):
            continue  # https:, mailto:
        file_part, _, anchor = target.partition("#")
        resolved = (page.parent / file_part).resolve() if file_part else page
        assert resolved.is_relative_to(REPO), f"{page.name}: link {target} leaves the repository"
        assert resolved.is_file(), f"{page.name}: link {target} leads to no file"
        if anchor and resolved.suffix == ".md":
            assert anchor in anchors(resolved), f"{page.name}: link {target}: no such heading in {resolved.name}"


def test_the_link_check_sees_links() -> None:
    assert len(LINK.findall(doc("index.md"))) >= 6


def repository_files() -> list[Path]:
    try:
        listed = subprocess.run(
            ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
            cwd=REPO, capture_output=True, check=True,
        ).stdout.decode().split("\0")
        return [REPO / name for name in listed if name and (REPO / name).is_file()]
    except (OSError, subprocess.CalledProcessError):
        skipped = {".git", ".venv", "node_modules", "__pycache__"}
        return [p for p in REPO.rglob("*") if p.is_file() and not skipped & set(p.relative_to(REPO).parts)]


def test_no_file_points_at_the_shared_folder() -> None:
    files = repository_files()
    assert len(files) > 50
    offenders = [
        f"{path.relative_to(REPO)}: {needle}"
        for path in files
        for needle in FORBIDDEN
        if needle.encode() in path.read_bytes()
    ]
    assert offenders == []
