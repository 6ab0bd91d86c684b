"""The user's own settings, beside no case: where runs execute (docs/scale.md).

A Dask cluster belongs to the machine or the team, not to the evidence, so
it is not written in case.toml. The file is ``$FUNDTRAIL_CONFIG`` if set,
else ``$XDG_CONFIG_HOME/fundtrail/config.toml`` (``~/.config/...``); no file
means no settings.

    [run]
    dask = "tcp://10.0.0.5:8786"   # or: workers = 4 (a local cluster)
    memory_limit = "4GB"           # DuckDB's, in the run's process (default "50%" of the machine's)
    threads = 2                    # DuckDB's (default: every core)

``fundtrail run --dask`` / ``--workers`` override it for one run.
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from fundtrail.errors import RunEnvironmentError

RUN_KEYS = {"dask", "workers", "memory_limit", "threads"}
DASK_ADDRESS = re.compile(r"(tcp|tls|ucx|inproc)://\S+")
# What DuckDB's memory_limit takes: an amount in bytes with its unit, or a share of the machine's memory.
MEMORY_AMOUNT = re.compile(r"\d+(\.\d+)?\s*(%|[KMGT]i?B)", re.IGNORECASE)


@dataclass(frozen=True)
class UserConfig:
    path: Path | None = None
    dask: str | None = None
    workers: int | None = None
    memory_limit: str | None = None
    threads: int | None = None


def config_path() -> Path:
    if os.environ.get("FUNDTRAIL_CONFIG"):
        return Path(os.environ["FUNDTRAIL_CONFIG"]).expanduser()
    base = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config").expanduser()
    return base / "fundtrail" / "config.toml"


def load_user_config(path: Path | None = None) -> UserConfig:
    """The settings of ``path`` (default ``config_path()``); none when the file does not exist."""
    path = config_path() if path is None else path
    if not path.exists():
        if os.environ.get("FUNDTRAIL_CONFIG") and path == config_path():
            raise RunEnvironmentError(code="userconfig.missing", path=path)
        return UserConfig()
    try:
        # Read whatever the path is, not only a regular file: FUNDTRAIL_CONFIG=/dev/null reads as
        # empty, no settings, the documented way to ignore the user's config for one run.
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError, OSError) as exc:
        raise RunEnvironmentError(code="userconfig.not_toml", path=path, detail=str(exc)) from None
    unknown = sorted(set(raw) - {"run"})
    if unknown:
        raise RunEnvironmentError(code="userconfig.unknown_table", path=path, key=unknown[0])
    run = raw.get("run", {})
    if not isinstance(run, dict):
        raise RunEnvironmentError(code="userconfig.run_not_table", path=path)
    unknown = sorted(set(run) - RUN_KEYS)
    if unknown:
        raise RunEnvironmentError(code="userconfig.unknown_key", path=path, key=unknown[0], known=", ".join(sorted(RUN_KEYS)))
    dask, workers = run.get("dask"), run.get("workers")
    if dask is not None and (not isinstance(dask, str) or not DASK_ADDRESS.fullmatch(dask)):
        raise RunEnvironmentError(code="userconfig.dask", path=path, value=dask)
    if workers is not None and (not isinstance(workers, int) or isinstance(workers, bool) or workers < 1):
        raise RunEnvironmentError(code="userconfig.workers", path=path, value=workers)
    if dask is not None and workers is not None:
        raise RunEnvironmentError(code="userconfig.dask_and_workers", path=path)
    memory_limit, threads = run.get("memory_limit"), run.get("threads")
    if memory_limit is not None and (not isinstance(memory_limit, str) or not MEMORY_AMOUNT.fullmatch(memory_limit)):
        raise RunEnvironmentError(code="userconfig.memory_limit", path=path, value=memory_limit)
    if threads is not None and (not isinstance(threads, int) or isinstance(threads, bool) or threads < 1):
        raise RunEnvironmentError(code="userconfig.threads", path=path, value=threads)
    return UserConfig(path, dask, workers, memory_limit, threads)
