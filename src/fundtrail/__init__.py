"""fundtrail: forensic reconciliation of deposit sheets, bank statements and rosters."""

__version__ = "0.1.0"


def code_version() -> str:
    """The release, plus the git commit (and ``-dirty``) when run from a checkout: a court may ask
    exactly which code produced a figure."""
    import subprocess
    from pathlib import Path

    repo = Path(__file__).resolve().parents[2]
    if not (repo / ".git").exists():
        return __version__
    try:
        described = subprocess.run(
            ["git", "-C", str(repo), "describe", "--always", "--dirty", "--abbrev=12"],
            capture_output=True, text=True, timeout=5, check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return __version__
    return f"{__version__}+{described}"
