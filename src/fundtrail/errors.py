"""One error family, so the CLI can turn any of them into a one-line message.

Every message names where the problem is: file, row, column and value when
they are known. The CLI prints the message and exits; no traceback reaches
the user for these.

An error raised with a ``code`` (a key of the message catalogue,
``fundtrail/messages.toml``) and its parameters can be shown in any language
the catalogue holds (``fundtrail.messages.error_text``); ``str(error)`` is
its English text, so logs and tests read the same whatever the user's
language. An error raised with a plain message is shown under its class's
heading, the message kept as it was written.
"""

from __future__ import annotations

from typing import Any


class FundtrailError(Exception):
    """Base of every error the CLI reports without a traceback."""

    exit_code = 1
    # The catalogue heading an uncoded error of this class is shown under; a subclass names its own
    # in its class line (``class RosterError(FundtrailError, heading="error.roster")``) or inherits it.
    heading = "error.fundtrail"

    def __init_subclass__(cls, heading: str | None = None, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if heading is not None:
            cls.heading = heading

    def __init__(self, message: str | None = None, *, code: str | None = None, **params: Any) -> None:
        if code is None and message is None:
            raise TypeError("a FundtrailError needs a message or a code")
        self.code = code
        self.params = params
        if message is None:
            from fundtrail.messages import text  # the catalogue imports nothing of fundtrail's

            message = text(code, "en", **params)
        super().__init__(message)

    def __reduce__(self):
        # An error raised in a Dask worker comes back pickled: keep its code and parameters.
        return _rebuild, (type(self), str(self), self.code, self.params)


def _rebuild(cls: type[FundtrailError], message: str, code: str | None, params: dict[str, Any]) -> FundtrailError:
    return cls(message, code=code, **params)


class CaseConfigError(FundtrailError, heading="error.case_config"):
    """case.toml is unreadable, has unknown keys, or names files that are not there."""


class InputSchemaError(FundtrailError, heading="error.input_schema"):
    """An evidence file lacks a required column or cannot be read at all."""


class RosterError(FundtrailError, heading="error.roster"):
    """The roster gives one code name to two people on the same day, or a period is inverted."""

    @classmethod
    def of_conflicts(cls, conflicts: list[tuple[str, str | None, str]]) -> RosterError:
        """The error for rows of roster_conflicts (roster_row, other_row, problem), one line each.

        The SQL writes each problem in English; it is read back against the
        catalogue's ``roster_problem.*`` templates so it reads in any language.
        """
        from fundtrail.messages import Lines, Phrase, read_back

        lines = []
        for row, other, problem in conflicts:
            found = read_back("roster_problem", problem)
            said = Phrase(found[0], **found[1]) if found else problem
            lines.append(Phrase("roster.pair" if other else "roster.row", row=row, other=other, problem=said))
        return cls(code="roster.conflicts", lines=Lines(lines))


class SqlStepError(FundtrailError, heading="error.sql_step"):
    """A SQL file failed; the message names the file and the statement."""


class InvariantError(FundtrailError, heading="error.invariant"):
    """A balancing rule broke: counts or amounts that must tie out do not."""


class OutputFolderError(FundtrailError, heading="error.output_folder"):
    """The output folder is one a run must not replace, cannot be written, or another run holds it."""


class RunEnvironmentError(FundtrailError, heading="error.run_environment"):
    """Something the run needs beside the case cannot be used: Prefect's home folder, for one."""
