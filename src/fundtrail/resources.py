"""Where the repository's data folders (sql/, expectations/, presets/) are at run time.

In a checkout (editable install) they sit at the repository root; a built
wheel carries them inside the package (see pyproject's force-include).
"""

from __future__ import annotations

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent


def resource_dir(name: str) -> Path:
    for candidate in (PACKAGE_DIR / name, PACKAGE_DIR.parents[1] / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"fundtrail's {name}/ folder is missing from this installation")
