"""A case with its own preset runs from a non-editable install (issue 11).

The wheel is built from this checkout (``pip wheel --no-deps``, offline: the
build backend hatchling comes from the running environment), installed into
a fresh venv in tmp, and its ``fundtrail run`` reconciles a tiny case whose
bank statement is read by ``presets/mybank.toml`` in the case folder. The
venv reuses the running environment's installed dependencies through a .pth
line; fundtrail itself resolves to the venv's copy (checked).
"""

from __future__ import annotations

import json
import os
import site
import subprocess
import sys
import sysconfig
from pathlib import Path

import prefect.settings
import pytest

from conftest import REPO

pytestmark = pytest.mark.slow

MYBANK = """\
title = "某某银行对私账户明细 (a bank no built-in preset knows)"
checked = "the tiny file tests/test_wheel.py writes"
header = ["记账日", "收入", "支出", "余额"]
footer = '^本页合计'
[columns]
balance = "余额"
counterparty_name = "对方名称"
counterparty_account = "对方账号"
[split]
date = "记账日"
time = "时间"
amount_in = "收入"
amount_out = "支出"
[preamble]
account_no = '账号[:：]\\s*([0-9]+)'
"""
BANK = (
    "某某银行对私账户明细\n账号：6200000000000042\n"
    "记账日,时间,收入,支出,余额,对方名称,对方账号\n"
    "2024/06/01,08:15:00,5000.00,,5000.00,客户甲,6222000000000009\n"
    "2024/06/02,09:00:00,,1200.00,3800.00,乙,6222000000000077\n"
    "本页合计,,5000.00,1200.00,,,\n"
)


def run(*args: str | Path, cwd: Path | None = None, **extra_env: str) -> subprocess.CompletedProcess[str]:
    # Without PYTHONPATH: a checkout on the path would shadow the installed wheel.
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"} | extra_env
    done = subprocess.run([str(a) for a in args], capture_output=True, text=True, cwd=cwd, timeout=600, env=env)
    assert done.returncode == 0, f"{args[:3]} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done


def test_a_case_preset_runs_from_an_installed_wheel(tmp_path, prefect_harness):
    wheels = tmp_path / "wheels"
    run(sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", wheels, REPO)
    (wheel,) = wheels.glob("fundtrail-*.whl")

    venv = tmp_path / "venv"
    run(sys.executable, "-m", "venv", "--without-pip", venv)
    python = venv / "bin" / "python"
    venv_site = Path(run(python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))").stdout.strip())
    # The dependencies as installed here; fundtrail's own editable hook (a .pth in that folder) is not run
    # from a path line, and the venv's site-packages comes first, so the wheel's fundtrail is the one imported.
    deps = [p for p in {*site.getsitepackages(), sysconfig.get_path("purelib")} if Path(p).is_dir()]
    (venv_site / "_deps.pth").write_text("\n".join(sorted(deps)) + "\n", encoding="utf-8")
    run(sys.executable, "-m", "pip", "--python", python, "install", "--no-deps", "--no-index", "-q", wheel)

    where = run(python, "-c", "import fundtrail, flows; print(fundtrail.__file__); print(flows.__file__)", cwd=tmp_path).stdout
    assert all(Path(line).is_relative_to(venv_site) for line in where.split()), where
    names = run(python, "-c", "from fundtrail.ingest.presets import presets; print(*presets())", cwd=tmp_path).stdout
    assert {"alipay", "jd", "bocom", "cmb_credit", "citic_credit"} <= set(names.split())  # the wheel carries them

    case = tmp_path / "case"
    (case / "presets").mkdir(parents=True)
    (case / "presets" / "mybank.toml").write_text(MYBANK, encoding="utf-8")
    (case / "bank.csv").write_text(BANK, encoding="utf-8")
    (case / "case.toml").write_text(
        '[case]\nid = "custom-preset"\n[[source]]\nkind = "bank_statement"\npath = "bank.csv"\nformat = "mybank"\n',
        encoding="utf-8",
    )
    out = tmp_path / "out"
    # Against the session's test server, as against a running `prefect server start`: no second server to start.
    api_url = prefect.settings.get_current_settings().api.url
    done = run(venv / "bin" / "fundtrail", "run", "--lang", "en", case, "--out", out, cwd=tmp_path, PREFECT_API_URL=api_url)
    assert "statement rows 2; quarantined rows 0" in done.stdout

    (bank,) = json.loads((out / "manifest.json").read_text(encoding="utf-8"))["inputs"]
    # Line 4: 收入 5000.00; line 5: 支出 1200.00; line 6 the 本页合计 footer; the account from line 2.
    assert (bank["preset"], bank["rows_read"], bank["rows_loaded"], bank["footer_rows"]) == ("mybank", 2, 2, 1)
    assert (bank["amount_in"], bank["amount_out"], bank["account_from"]) == ("5000.00", "1200.00", "preamble")
