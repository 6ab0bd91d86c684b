"""fundtrail: forensic reconciliation of deposit sheets, bank statements and rosters."""

__version__ = "0.1.0"
