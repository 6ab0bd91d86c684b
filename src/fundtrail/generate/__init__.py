"""Deterministic demo and benchmark cases with their answer keys (truth.json).

``generate_fraud`` mirrors the 7·29 cross-border telecom-fraud case,
``generate_info`` the maternity-data sale. Same seed and scale, same bytes.
"""

from fundtrail.generate.fraud import generate_fraud
from fundtrail.generate.info import generate_info

__all__ = ["generate_fraud", "generate_info"]
