"""Titles the reader sees: sheet names, column titles, totals and enumerated values, in Chinese and English.

Keys are the column names of outputs.md. A column or value without a title
here is shown under its own name, so a new column never breaks a report.
"""

from __future__ import annotations

from fundtrail.errors import FundtrailError

LANGS = ("zh", "en")

SHEETS: dict[str, dict[str, str]] = {
    "zh": {
        "summary": "汇总",
        "defendants": "被告人",
        "victims": "被害人",
        "entries": "入金记录",
        "payments": "被害人付款",
        "info_defendants": "信息类被告人",
        "quarantine": "剔除数据",
    },
    "en": {
        "summary": "Summary",
        "defendants": "Defendants",
        "victims": "Victims",
        "entries": "Entries",
        "payments": "Payments",
        "info_defendants": "Info defendants",
        "quarantine": "Quarantine",
    },
}

COLUMNS: dict[str, dict[str, str]] = {
    "zh": {
        "defendant_id": "被告人编号",
        "name": "姓名",
        "role": "角色",
        "unit_ids": "所属单位",
        "codes": "代号",
        "first_day": "起始日",
        "last_day": "截止日",
        "own": "本人入金（已核实）",
        "own_unvalidated": "本人入金（未核实）",
        "unit": "所在单位入金",
        "gang": "团伙入金",
        "liable": "应担责金额",
        "liable_basis": "担责依据",
        "tier": "数额档次",
        "entries": "入金笔数",
        "victims": "被害人数",
        "victim_id": "被害人编号",
        "paid": "支付金额",
        "returned": "返还金额",
        "net_loss": "净损失",
        "validated": "已核实金额",
        "unattributed": "未归属金额",
        "reported_loss": "报案损失",
        "payments": "付款笔数",
        "entry_id": "入金记录编号",
        "source": "来源文件",
        "source_row": "来源行号",
        "ts": "时间",
        "amount": "金额",
        "member_code": "代号",
        "unit_id": "单位编号",
        "status": "状态",
        "candidates": "候选付款数",
        "ambiguous": "多个候选",
        "payment_ids": "匹配付款编号",
        "seconds_apart": "时间差（秒）",
        "payment_id": "付款编号",
        "from_account": "付款账号",
        "to_account": "收款账号",
        "sources": "来源流水",
        "records_passed": "提供记录数",
        "records_valid": "有效记录数",
        "records_unique": "去重记录数",
        "records_corroborated": "印证记录数",
        "received": "收入金额",
        "paid_upstream": "支付上游金额",
        "net_gain": "违法所得",
        "column": "字段",
        "value": "原始值",
        "reason": "原因",
        # statement integrity findings
        "account_no": "账号",
        "kind": "类型",
        "rows": "所在行",
        "before_row": "前一行",
        "after_row": "后一行",
        "before_ts": "前一行时间",
        "after_ts": "后一行时间",
        "expected": "应为",
        "actual": "实为",
        "expected_balance": "应有余额",
        "actual_balance": "实际余额",
        "missing_amount": "缺失金额",
        "stated": "文件声明",
        "found": "实际数据",
        "detail": "说明",
    },
    "en": {
        "defendant_id": "Defendant ID",
        "name": "Name",
        "role": "Role",
        "unit_ids": "Units",
        "codes": "Code names",
        "first_day": "First day",
        "last_day": "Last day",
        "own": "Own (validated)",
        "own_unvalidated": "Own (unvalidated)",
        "unit": "Unit",
        "gang": "Gang",
        "liable": "Liable amount",
        "liable_basis": "Liability basis",
        "tier": "Tier",
        "entries": "Entries",
        "victims": "Victims",
        "victim_id": "Victim ID",
        "paid": "Paid",
        "returned": "Returned",
        "net_loss": "Net loss",
        "validated": "Validated",
        "unattributed": "Unattributed",
        "reported_loss": "Reported loss",
        "payments": "Payments",
        "entry_id": "Entry ID",
        "source": "Source file",
        "source_row": "Source row",
        "ts": "Time",
        "amount": "Amount",
        "member_code": "Code name",
        "unit_id": "Unit ID",
        "status": "Status",
        "candidates": "Candidate payments",
        "ambiguous": "Ambiguous",
        "payment_ids": "Matched payment IDs",
        "seconds_apart": "Seconds apart",
        "payment_id": "Payment ID",
        "from_account": "From account",
        "to_account": "To account",
        "sources": "Source postings",
        "records_passed": "Records passed",
        "records_valid": "Valid records",
        "records_unique": "Unique records",
        "records_corroborated": "Corroborated records",
        "received": "Received",
        "paid_upstream": "Paid upstream",
        "net_gain": "Net gain",
        "column": "Column",
        "value": "Raw value",
        "reason": "Reason",
        "account_no": "Account",
        "kind": "Kind",
        "rows": "Rows",
        "before_row": "Row before",
        "after_row": "Row after",
        "before_ts": "Time before",
        "after_ts": "Time after",
        "expected": "Expected",
        "actual": "Actual",
        "expected_balance": "Expected balance",
        "actual_balance": "Actual balance",
        "missing_amount": "Missing amount",
        "stated": "Stated",
        "found": "Found",
        "detail": "Detail",
    },
}

# Values of these columns are codes in the CSVs; the workbook shows them in the reader's language.
VALUES: dict[str, dict[str, str]] = {
    "zh": {
        "financier": "出资人",
        "shareholder": "股东",
        "leader": "组长/主管",
        "staff": "业务员",
        "support": "后勤支持",
        "own": "本人",
        "unit": "所在单位",
        "gang": "全团伙",
        "none": "未达标准",
        "large": "数额较大",
        "huge": "数额巨大",
        "especially_huge": "数额特别巨大",
        "serious": "情节严重",
        "especially_serious": "情节特别严重",
        "validated": "已核实",
        "unvalidated": "未核实",
        "unattributed": "未归属",
        "department": "部门",
        "group": "小组",
        "balance_break": "余额断点",
        "statement_gap": "流水缺期",
        "statement_overlap": "流水期间重叠",
        "summary_mismatch": "文件汇总不符",
        "outside_stated_period": "超出声明期间",
    },
    "en": {},
}
YES_NO = {"zh": ("是", "否"), "en": ("yes", "no")}
TRANSLATED_COLUMNS = ("role", "liable_basis", "tier", "status", "ambiguous")

SUMMARY: dict[str, dict[str, str]] = {
    "zh": {
        "case": "案件",
        "case_id": "案件编号",
        "title": "案件名称",
        "timezone": "时区",
        "started": "开始时间",
        "finished": "结束时间",
        "code_version": "程序版本",
        "totals": "合计",
        "entries_count": "入金笔数",
        "entries_total": "入金总额",
        "validated_amount": "已核实入金",
        "unvalidated_amount": "未核实入金",
        "validated_share": "已核实比例",
        "payments_count": "被害人付款笔数",
        "payments_total": "被害人付款总额",
        "unattributed_amount": "未归属付款",
        "victims": "被害人数（含未识别账户）",
        "defendants": "被告人数",
        "quarantined_rows": "剔除行数",
        "entries_validated": "已核实入金笔数",
        "entries_unknown_code": "代号未对应花名册的入金笔数",
        "victims_identified": "已识别被害人数",
        "payers_unidentified": "未识别付款账户数",
        "statement_rows": "银行流水行数",
        "duplicate_rows": "重复行数（已去除）",
        "info_defendants": "信息类被告人数",
        "integrity_findings": "流水完整性问题数",
        "workbook_rows_per_sheet": "本工作簿各明细表行数",
        "info_defendants_table": "信息类被告人（有效去重记录与违法所得）",
        "tiers": "各档次被告人数",
        "tier": "档次",
        "count": "人数",
        "rows": "行数",
        "quarantine": "剔除数据（按来源与原因）",
        "validation": "数据校验",
        "suite": "校验集",
        "success": "通过",
        "failed": "未通过项",
        "skipped": "跳过（本案无此表或无数据）",
        "integrity": "流水完整性检查",
        "masked": "个人信息已脱敏（被害人姓名、电话、证件号、账号）；如需原文请以 --unmask 重新生成。",
        "unmasked": "本报告含未脱敏个人信息，请妥善保管。",
        "time_note": "时间均为案件时区",
    },
    "en": {
        "case": "Case",
        "case_id": "Case ID",
        "title": "Title",
        "timezone": "Time zone",
        "started": "Started",
        "finished": "Finished",
        "code_version": "Code version",
        "totals": "Totals",
        "entries_count": "Entries",
        "entries_total": "Entries, total amount",
        "validated_amount": "Validated entries",
        "unvalidated_amount": "Unvalidated entries",
        "validated_share": "Validated share",
        "payments_count": "Victim payments",
        "payments_total": "Victim payments, total amount",
        "unattributed_amount": "Unattributed payments",
        "victims": "Victims (incl. unidentified accounts)",
        "defendants": "Defendants",
        "quarantined_rows": "Quarantined rows",
        "entries_validated": "Validated entries (count)",
        "entries_unknown_code": "Entries under codes not on the roster",
        "victims_identified": "Identified victims",
        "payers_unidentified": "Unidentified paying accounts",
        "statement_rows": "Bank statement rows",
        "duplicate_rows": "Duplicate rows (dropped)",
        "info_defendants": "Information-sale defendants",
        "integrity_findings": "Statement integrity findings",
        "workbook_rows_per_sheet": "Rows per detail sheet in this workbook",
        "info_defendants_table": "Information-sale defendants (unique valid records and gains)",
        "tiers": "Defendants by tier",
        "tier": "Tier",
        "count": "Count",
        "rows": "Rows",
        "quarantine": "Quarantined rows by source and reason",
        "validation": "Validation",
        "suite": "Suite",
        "success": "Passed",
        "failed": "Failed expectations",
        "skipped": "skipped (no such table or no rows in this case)",
        "integrity": "Statement integrity",
        "masked": "Personal data masked (victims' names, phones, ID numbers, accounts); regenerate with --unmask to show them.",
        "unmasked": "This report shows unmasked personal data; keep it safe.",
        "time_note": "Times are in the case time zone",
    },
}


def column_title(lang: str, name: str) -> str:
    return COLUMNS[lang].get(name, name)


def sheet_title(lang: str, table: str) -> str:
    return SHEETS[lang].get(table, table)[:31]


def summary_label(lang: str, key: str) -> str:
    return SUMMARY[lang].get(key, key)


def value_label(lang: str, value: str | bool) -> str:
    if isinstance(value, bool):
        yes, no = YES_NO[lang]
        return yes if value else no
    return VALUES[lang].get(value, value)


class ReportLanguageError(FundtrailError):
    """The report language is not one of LANGS (``--lang``)."""

    exit_code = 2


def check_lang(lang: str) -> str:
    if lang not in LANGS:
        raise ReportLanguageError(f"--lang {lang!r}: the report languages are {', '.join(LANGS)}")
    return lang
