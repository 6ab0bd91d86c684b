"""The `fundtrail` command and its Prefect flows (fundtrail itself, src/fundtrail, has no Prefect)."""

import os

# polars' allocator (jemalloc) keeps the pages a frame freed for a while (polars' own setting: half a
# second, more for the pages it has told the system it may take back) for the frames after it; a
# run makes and drops large frames while other work holds memory (the workbook's rows beside the
# tables' sort), so they stacked up into its peak. Handed back at once instead: the workbook of a
# 20,000-file case peaked at 343-348 MB instead of 397-431 MB, and `fundtrail run` of that case at
# 920-977 MB instead of 1,028 MB, for no CPU time we could measure. Set here, before anything of
# the command imports polars (polars puts its defaults in front; the last value of an option
# counts); a value of the user's own is kept.
os.environ.setdefault("_RJEM_MALLOC_CONF", "dirty_decay_ms:0,muzzy_decay_ms:0")
