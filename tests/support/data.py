"""Synthetic tables that satisfy schema.py, generated from the schema itself (so they follow it)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from gitops_ml import schema


def valid_frame(rows: int = 2000, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    data: dict[str, object] = {}
    for column in schema.COLUMNS:
        if column.kind == "datetime":
            # Distinct minutes, so the key stays unique whatever the other key columns hold.
            start = pd.Timestamp("2013-01-01 05:00")
            data[column.name] = start + pd.to_timedelta(rng.permutation(rows) * 7, unit="min")
        elif column.categories is not None:
            values = rng.choice(np.array(column.categories, dtype=object), size=rows)
            data[column.name] = values.astype("int64") if column.kind == "int" else values
        elif column.pattern is not None:  # three-letter codes
            letters = np.array(list("ABCDEFGH"))
            data[column.name] = np.array(["".join(rng.choice(letters, 3)) for _ in range(rows)], dtype=object)
        else:
            low, high = column.minimum, column.maximum
            values = rng.uniform(low, high, size=rows)
            data[column.name] = values.round().astype("int64") if column.kind == "int" else values
    frame = pd.DataFrame(data)
    # Make the label depend on the inputs, so a model has something to learn.
    logit = (frame["temp"] - 60) / 30 + (frame["origin"] == "EWR") * 1.0 - 1.0
    frame["delayed"] = (rng.uniform(size=rows) < 1 / (1 + np.exp(-logit))).astype("int64")
    return frame
