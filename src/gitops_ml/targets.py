"""The target as the model learns it, and its summary. Pandas only: the split and validate stages
use it without importing scikit-learn."""

from __future__ import annotations

import numpy as np
import pandas as pd

from gitops_ml.schema import Schema


def target_values(frame: pd.DataFrame, schema: Schema) -> np.ndarray:
    """What the estimator learns: 1 for the positive class, else 0 (classification); the number (regression)."""
    values = frame[schema.target]
    if schema.task == "classification":
        return (values == schema.positive_label).to_numpy(dtype="int64")
    return values.to_numpy(dtype="float64")


def target_summary(frame: pd.DataFrame, schema: Schema) -> float | None:
    """Share of the positive class (classification) or the target's mean (regression)."""
    labelled = frame[frame[schema.target].notna()]
    return round(float(target_values(labelled, schema).mean()), 6) if len(labelled) else None
