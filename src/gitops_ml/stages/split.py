"""split: cut the validated table into time windows (train, test, drift reference, production).

Time-based, never random: the model is always tested on a period after the one it learned from,
as it will be used in production.
"""

from __future__ import annotations

import pandas as pd

from gitops_ml import paths, schema
from gitops_ml.config import Params, Window
from gitops_ml.io import read_parquet, write_json, write_parquet
from gitops_ml.stages import StageError, run_stage


def in_window(frame: pd.DataFrame, window: Window) -> pd.DataFrame:
    when = frame[schema.TIMESTAMP]
    mask = (when >= pd.Timestamp(window.start)) & (when < pd.Timestamp(window.end))
    return frame[mask].reset_index(drop=True)


def split(params: Params) -> dict:
    frame = read_parquet(paths.RAW)
    parts = {name: in_window(frame, getattr(params.split, name)) for name in paths.SPLITS}
    empty = [name for name in ("train", "test") if parts[name].empty]
    if empty:
        raise StageError(f"split: no rows fall in the {' and '.join(empty)} window(s); check params.yaml split")
    for name, part in parts.items():
        write_parquet(paths.split_file(name), part)
    summary = {
        name: {"rows": len(part), "target_rate": round(float(part[schema.TARGET].mean()), 6) if len(part) else None}
        for name, part in parts.items()
    }
    write_json(paths.SPLIT_SUMMARY, summary)
    print("split: " + ", ".join(f"{name} {info['rows']}" for name, info in summary.items()))
    return summary


def main() -> None:
    run_stage(split)


if __name__ == "__main__":
    main()
