"""What prosecutors and auditors open: ``report.xlsx`` and ``report.html``.

    write_workbook(tables, summary, path, lang="zh", unmask=False)
    write_html_report(tables, summary, path, unmask=False,
                      validation_href="validation/index.html")

``tables``: the outputs.md tables as typed polars frames, columns exactly as
outputs.md and in its order: ``defendants``, ``victims``, ``entries``,
``payments``, ``quarantine``, and ``info_defendants`` when the case has one;
money ``pl.Decimal(18, 2)``, times zoned ``pl.Datetime`` (any zone: they are
shown in ``summary["timezone"]``), lists as ``;``-joined strings, counts
Int64, ``ambiguous`` Boolean. The HTML report also reads ``units``
(unit_id, name, kind, parent_id) and ``transfers`` (transfer_id,
payer_account, payee_account, ts, amount, sources, seen_on; docs/design.md);
without them it leaves out the organisation chart or the onward flows.

``summary`` (every key optional; what is missing is left out or, for
totals, computed from the tables):

- ``case_id``, ``title``, ``timezone`` (IANA name), ``started``,
  ``finished`` (datetime or ISO text), ``code_version``;
- ``totals``: ``entries_count`` (int), ``entries_total``,
  ``validated_amount``, ``unvalidated_amount``, ``payments_count`` (int),
  ``payments_total``, ``unattributed_amount`` (Decimal), ``victims``,
  ``defendants``, ``quarantined_rows`` (int), ``validated_share`` (Decimal
  fraction, 0.25 = 25 %), ``defendants_by_tier`` ({tier: count}). Other
  keys are shown under their own name; a key ending in ``_amount`` or
  ``_total`` is shown as money;
- ``integrity``: the statement integrity results, either a mapping
  {check: result} or a list of records (dicts, one per account or file);
  shown as given, long digit runs masked;
- ``validation``: a list of {``suite``, ``success`` (bool), ``failed``
  (int, failed expectations)}, one per expectation suite.

Personal data is masked by default (``mask.py``); ``unmask=True`` shows it.
Neither writer logs or prints anything.
"""

from fundtrail.reports.html import write_html_report
from fundtrail.reports.labels import ReportLanguageError
from fundtrail.reports.xlsx import write_workbook

__all__ = ["ReportLanguageError", "write_html_report", "write_workbook"]
