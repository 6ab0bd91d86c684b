from pathlib import Path
def generate_info(out: Path, scale: float = 1.0, seed: int = 729) -> Path:
    raise NotImplementedError
