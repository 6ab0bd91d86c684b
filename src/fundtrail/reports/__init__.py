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
without them it leaves out the organisation chart or the onward flows;
``liable_entries`` (defendant_id, entry_id, basis_entries, basis_amount:
the entries behind each liable amount, cut per defendant, with the full
count and sum), without which the drill-downs list no entries. Optional,
when the steps that make them give them: ``unvalidated`` (entry_id,
reason, nearest_payment_id, nearest_seconds, amount_difference,
taken_by), shown in each defendant's drill-down; ``endpoints`` (method,
account_no, kind, origin, amount), ``recoveries`` (account_no,
victim_id, traced, pro_rata) and ``leads`` (account_no, reason, victims,
amount_in, amount_out, passed_on_share; largest ``amount_in`` first),
shown as "where the money went" with one tab per method; ``trace_flow``
(method, source_layer, source, target_layer, target, target_is_end,
amount) and ``trace_grain`` (method, grain), drawn as the fund flow from
the victims through every layer to the end points, one tab per method (in
place of the flow from ``transfers``); ``trace_victim_paths`` (victim_rank,
victim_id, method, step, step_no, hop, from_account, account_no, ts, kind,
amount, posting_id, steps_total, amount_total), one victim's money hop by
hop with a method selector (docs/tracing.md, "In the report"). The
workbook shows ``recoveries`` as a sheet too.

``summary`` (every key optional; what is missing is left out or, for
totals, computed from the tables):

- ``case_id``, ``title``, ``timezone`` (IANA name), ``started``,
  ``finished`` (datetime or ISO text with offset; shown in ``timezone`` to
  the second), ``code_version``;
- ``totals``: ``entries_count`` (int), ``entries_total``,
  ``validated_amount``, ``unvalidated_amount``, ``payments_count`` (int),
  ``payments_total``, ``unattributed_amount`` (Decimal), ``victims``,
  ``defendants``, ``quarantined_rows`` (int), ``validated_share`` (Decimal
  fraction, 0.25 = 25 %), ``defendants_by_tier`` ({tier: count}), and the
  counts ``entries_validated``, ``entries_unknown_code``,
  ``victims_identified``, ``payers_unidentified``, ``statement_rows``,
  ``duplicate_rows``, ``info_defendants``, ``integrity_findings``, and
  ``workbook_rows_per_sheet`` (a sentence), all titled in labels.SUMMARY.
  Other keys are shown under their own name; a key ending in ``_amount``
  or ``_total`` is shown as money;
- ``info_defendants``: the information-sale defendants' first rows
  (defendant_id, records_unique, records_corroborated, received,
  paid_upstream, net_gain, tier; amounts Decimal or decimal text), shown
  when ``tables`` has no ``info_defendants`` frame;
- ``integrity``: the statement integrity results, either a mapping
  {check: result} or a list of records (dicts, one per finding:
  account_no, kind, rows, expected, actual, missing_amount, detail … any
  keys); shown as given under titled columns, accounts masked by the
  account rule and other long digit runs by the digit-run rule, amounts
  with two places; ``totals["integrity_findings"]`` above the number
  listed says the rest are in statement_integrity.csv;
- ``validation``: a list of {``suite``, ``success`` (bool, or None when
  skipped), ``failed`` (int, failed expectations)}, one per expectation suite;
- ``warnings``: a list of {``code``, ``message``} (manifest.json
  ``warnings``), shown first on the page, masked by the digit-run rule.

Personal data is masked by default (``mask.py``); ``unmask=True`` shows it.
Neither writer logs or prints anything.
"""

from fundtrail.reports.html import write_html_report
from fundtrail.reports.labels import ReportLanguageError
from fundtrail.reports.xlsx import write_workbook

__all__ = ["ReportLanguageError", "write_html_report", "write_workbook"]
