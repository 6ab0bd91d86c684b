"""Stage and progress announcements from the flow to whoever shows them (the CLI).

The events and their display are Prefect-free (fundtrail.progress); what is
here is the one thing that needs the flow's futures: the parts of a step
(the ingest batches) report as each one finishes, on whichever task runner
they run, with the files and rows read so far.
"""

from __future__ import annotations

from prefect.futures import PrefectFuture, as_completed

from fundtrail.progress import advance, listening, stage

__all__ = ["advance", "listening", "part_results", "stage"]


def part_results(stage_name: str, futures: list[PrefectFuture], items: list) -> list:
    """The parts' results as they finish, announcing progress in files (a batch's ``files``) and rows read.

    The order of the results is the order the parts finished in: a step's
    ``join`` finds each file's stats by its path (pipeline.file_stats).
    """
    files_of = {future: len(getattr(item, "files", (item,))) for future, item in zip(futures, items, strict=True)}
    total = sum(files_of.values())
    done = rows = 0
    advance(stage_name, done, total, "files", rows)
    results = []
    for future in as_completed(futures):
        found = future.result()
        results.append(found)
        done += files_of[future]
        rows += sum(stats.rows_read for stats in found)
        advance(stage_name, done, total, "files", rows)
    return results
