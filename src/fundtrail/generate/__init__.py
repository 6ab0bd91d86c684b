"""Deterministic demo and benchmark cases with their answer keys (truth.json).

``generate_fraud`` mirrors the 7·29 cross-border telecom-fraud case,
``generate_info`` the maternity-data sale. Same seed and scale, same bytes.
Both replace the folders they write, so they only write into a folder that
is new, empty, or a case generated before (docs/safety.md).
"""

from pathlib import Path

from fundtrail.generate import fraud, info
from fundtrail.outdir import check_generate_folder

__all__ = ["generate_fraud", "generate_info"]


def generate_fraud(out: Path, scale: float = 1.0, seed: int = 729, files_per_account: bool = False) -> Path:
    return fraud.generate_fraud(check_generate_folder(out), scale=scale, seed=seed, files_per_account=files_per_account)


def generate_info(out: Path, scale: float = 1.0, seed: int = 729) -> Path:
    return info.generate_info(check_generate_folder(out), scale=scale, seed=seed)
