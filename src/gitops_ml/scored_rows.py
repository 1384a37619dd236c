"""The test rows as the model scored them: reports/predictions.parquet, written by evaluate.

Kept per revision (a DVC output, in the cache and the remote, not in git) so that a pull request's
report can compare its model with the base's on the very same rows: a paired comparison, much
tighter than two independent intervals. Columns: ``target`` (0/1 or the number), ``score`` (the
positive class's probability, or the prediction), ``label`` (classification: the predicted class,
0/1) and ``slice:<column>`` for every slicing column, so slices can be compared row by row too.
"""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd

from gitops_ml.uncertainty import Predictions

TARGET, SCORE, LABEL = "target", "score", "label"
SLICE_PREFIX = "slice:"


def to_frame(scored: Predictions, slices: pd.DataFrame) -> pd.DataFrame:
    columns: dict[str, object] = {TARGET: scored.target, SCORE: scored.score}
    if scored.label is not None:
        columns[LABEL] = scored.label
    frame = pd.DataFrame(columns)
    for name in slices.columns:
        frame[SLICE_PREFIX + name] = slices[name].astype(str).to_numpy()
    return frame


def from_frame(frame: pd.DataFrame) -> tuple[Predictions, pd.DataFrame]:
    """The predictions, and the slicing columns under their own names."""
    label = frame[LABEL].to_numpy() if LABEL in frame else None
    scored = Predictions(frame[TARGET].to_numpy(dtype=float), frame[SCORE].to_numpy(dtype=float), label)
    slice_names = [name for name in frame.columns if name.startswith(SLICE_PREFIX)]
    slices = frame[slice_names].rename(columns=lambda name: name.removeprefix(SLICE_PREFIX))
    return scored, slices


def read(path: Path | str) -> tuple[Predictions, pd.DataFrame] | None:
    return from_frame(pd.read_parquet(path)) if Path(path).is_file() else None


def read_at(revision: str, path: Path | str) -> tuple[tuple[Predictions, pd.DataFrame] | None, str | None]:
    """A revision's scored rows from the DVC cache or remote; (None, why) when they cannot be had."""
    import dvc.api  # heavy: only when a comparison needs it
    from dvc.exceptions import DvcException

    try:
        with dvc.api.open(str(path), rev=revision, mode="rb") as file:
            return from_frame(pd.read_parquet(io.BytesIO(file.read()))), None
    except (DvcException, OSError, ValueError, KeyError) as error:
        reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        return None, f"the base's {Path(path).as_posix()} is not in the DVC cache or remote ({reason})"
