"""One error family, so the CLI can turn any of them into a one-line message.

Every message names where the problem is: file, row, column and value when
they are known. The CLI prints ``str(error)`` and exits; no traceback reaches
the user for these.
"""

from __future__ import annotations


class FundtrailError(Exception):
    """Base of every error the CLI reports without a traceback."""

    exit_code = 1


class CaseConfigError(FundtrailError):
    """case.toml is unreadable, has unknown keys, or names files that are not there."""


class InputSchemaError(FundtrailError):
    """An evidence file lacks a required column or cannot be read at all."""


class RosterError(FundtrailError):
    """The roster gives one code name to two people on the same day, or a period is inverted."""


class SqlStepError(FundtrailError):
    """A SQL file failed; the message names the file and the statement."""


class InvariantError(FundtrailError):
    """A balancing rule broke: counts or amounts that must tie out do not."""


class OutputFolderError(FundtrailError):
    """The output folder is one a run must not replace, cannot be written, or another run holds it."""


class RunEnvironmentError(FundtrailError):
    """Something the run needs beside the case cannot be used: Prefect's home folder, for one."""
