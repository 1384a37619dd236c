"""split: cut the validated table into train, test, drift reference and production parts.

With a timestamp (``split.by: time``) the parts are time windows: the model is always tested on a
period after the one it learned from, as it will be used in production. Without one
(``split.by: random``) they are seeded fractions, stable per row when the schema has a key (a row
keeps its part when others are added); the drift reference is then the test rows: held out like
production, so the model's predictions on both are comparable (on its training rows they would be
overconfident, and the prediction drift check would see that as drift).
Rows without a target are dropped here (validate counted them).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from gitops_ml import paths
from gitops_ml.config import Params, SplitParams, Window
from gitops_ml.io import read_parquet, write_json, write_parquet
from gitops_ml.schema import Schema
from gitops_ml.stages import StageError, run_stage
from gitops_ml.targets import target_summary


def in_window(frame: pd.DataFrame, column: str, window: Window) -> pd.DataFrame:
    when = frame[column]
    mask = (when >= pd.Timestamp(window.start)) & (when < pd.Timestamp(window.end))
    return frame[mask].reset_index(drop=True)


def uniform_draws(frame: pd.DataFrame, key: tuple[str, ...], seed: int) -> np.ndarray:
    """One number in [0, 1) per row: a hash of the key (stable as rows come and go) or a seeded draw."""
    if not key:
        return np.random.default_rng(seed).random(len(frame))
    hashed = pd.util.hash_pandas_object(frame[list(key)], index=False, hash_key=f"{seed:016d}"[-16:])
    return (hashed.to_numpy() >> np.uint64(11)).astype("float64") / float(2**53)


def random_parts(frame: pd.DataFrame, split: SplitParams, key: tuple[str, ...]) -> dict[str, pd.DataFrame]:
    draw = uniform_draws(frame, key, split.seed)
    train_end = split.fractions.train
    test_end = train_end + split.fractions.test
    parts = {
        "train": frame[draw < train_end],
        "test": frame[(draw >= train_end) & (draw < test_end)],
        "production": frame[draw >= test_end],
    }
    parts["reference"] = parts["test"]
    return {name: part.reset_index(drop=True) for name, part in parts.items()}


def split(params: Params, schema: Schema) -> dict:
    frame = read_parquet(paths.RAW)
    frame = frame[frame[schema.target].notna()].reset_index(drop=True)
    if params.split.by == "time":
        timestamp = schema.timestamp
        if not timestamp:  # Params.check_against refuses split.by: time without one
            raise StageError("split: split.by: time needs a timestamp in schema.yaml (or use split.by: random)")
        parts = {name: in_window(frame, timestamp, getattr(params.split, name)) for name in paths.SPLITS}
    else:
        parts = random_parts(frame, params.split, schema.key)
    empty = [name for name in ("train", "test") if parts[name].empty]
    if empty:
        raise StageError(f"split: no rows fall in the {' and '.join(empty)} part(s); check params.yaml split")
    for name in paths.SPLITS:
        write_parquet(paths.split_file(name), parts[name])
    measure = "target_rate" if schema.task == "classification" else "target_mean"
    summary = {name: {"rows": len(part), measure: target_summary(part, schema)} for name, part in parts.items()}
    write_json(paths.SPLIT_SUMMARY, summary)
    print(f"split ({params.split.by}): " + ", ".join(f"{name} {info['rows']}" for name, info in summary.items()))
    return summary


def main() -> None:
    run_stage(split)


if __name__ == "__main__":
    main()
