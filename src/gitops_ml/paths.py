"""Where the pipeline reads and writes. dvc.yaml declares the same paths (a test keeps them equal)."""

from pathlib import Path

SOURCE = Path("reports/source.json")  # what data.source is, and a fingerprint of its content
RAW = Path("data/raw/table.parquet")
VALIDATION_REPORT = Path("reports/validation.json")

SPLIT_DIR = Path("data/split")
SPLITS = ("train", "test", "reference", "production")
SPLIT_SUMMARY = Path("reports/split.json")


def split_file(name: str) -> Path:
    return SPLIT_DIR / f"{name}.parquet"


MODEL = Path("models/model.joblib")
MODEL_CARD = Path("models/model.json")
COMPILED = Path("models/compiled")  # the model's trees as native code (compiled_trees.py)

METRICS = Path("reports/metrics.json")
SLICES = Path("reports/slices.json")
PREDICTIONS = Path("reports/predictions.parquet")  # the test rows as scored (scored_rows.py)
PLOTS_DIR = Path("reports/plots")
FIGURES_DIR = Path("reports/figures")


def package_dir() -> Path:
    return Path(__file__).resolve().parent
