"""Make a table comparable: the schema's drift columns with the schema's types. Pure functions.

What is wrong with the input is either an error that names the column (the check cannot mean
anything) or a note carried into every report (the check still means something):

- a missing drift column, or numbers that are not numbers  -> DriftInputError;
- an empty table                                            -> DriftInputError;
- extra columns                                             -> ignored, noted;
- categories the reference never had                        -> compared (they are drift), noted;
- a column with no values at all in the current data        -> drifted (a dead feed), noted;
- infinities                                                -> treated as missing, noted.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from gitops_ml.config import PREDICTION_COLUMN
from gitops_ml.drift import DriftInputError
from gitops_ml.schema import Column, Schema

EXAMPLES = 3


@dataclass
class Prepared:
    frame: pd.DataFrame
    notes: list[str] = field(default_factory=list)
    all_null: list[str] = field(default_factory=list)  # drift columns without a single value


def _examples(values: pd.Series) -> str:
    shown = [repr(value) for value in pd.unique(values)[:EXAMPLES]]
    return ", ".join(shown) + (", ..." if values.nunique() > EXAMPLES else "")


def _as_number(values: pd.Series, name: str, role: str) -> tuple[pd.Series, bool]:
    """Numbers, also from numeric strings ("41.2"); anything else is a wrong type, named."""
    if pd.api.types.is_bool_dtype(values):
        raise DriftInputError(f"{role} column {name!r}: expected numbers, got booleans")
    numbers = pd.to_numeric(values, errors="coerce")
    unparsable = values[numbers.isna() & values.notna()]
    if len(unparsable):
        raise DriftInputError(
            f"{role} column {name!r}: expected numbers, got {len(unparsable)} value(s) that are not "
            f"({_examples(unparsable)})"
        )
    numbers = numbers.astype(float)
    infinite = np.isinf(numbers)
    return numbers.mask(infinite), bool(infinite.any())


def _as_category(values: pd.Series) -> pd.Series:
    """Categories as strings (a code logged as a number still compares equal), nulls kept."""
    return values.astype(object).where(values.notna(), None).map(lambda value: value if value is None else str(value))


def conform(frame: pd.DataFrame, role: str, schema: Schema, columns: tuple[Column, ...] | None = None) -> Prepared:
    """The drift columns of ``frame`` (plus the prediction, if present) with the schema's types."""
    columns = schema.drift_columns() if columns is None else columns
    # Columns that may travel with the data without being compared or reported as "extra".
    known = {column.name for column in schema.columns} | {PREDICTION_COLUMN}
    if frame.empty:
        raise DriftInputError(f"{role} data has no rows")
    missing = [column.name for column in columns if column.name not in frame.columns]
    if missing:
        raise DriftInputError(
            f"{role} data lacks the column(s) {', '.join(missing)} (required by schema.yaml); "
            f"it has: {', '.join(map(str, frame.columns))}"
        )
    prepared = Prepared(pd.DataFrame(index=frame.index))
    extra = sorted(str(name) for name in frame.columns if name not in known)
    if extra:
        prepared.notes.append(f"{role}: ignored column(s) not in the schema: {', '.join(extra)}")
    for column in columns:
        values = frame[column.name]
        if column.kind in ("float", "int"):
            values, had_infinity = _as_number(values, column.name, role)
            if had_infinity:
                prepared.notes.append(f"{role}: {column.name} has infinite values, treated as missing")
        else:
            values = _as_category(values)
        if values.isna().all():
            prepared.all_null.append(column.name)
            prepared.notes.append(f"{role}: {column.name} has no values at all (every row is null)")
        prepared.frame[column.name] = values
    if PREDICTION_COLUMN in frame.columns:
        prediction, _ = _as_number(frame[PREDICTION_COLUMN], PREDICTION_COLUMN, role)
        prepared.frame[PREDICTION_COLUMN] = prediction
    return prepared


def unseen_categories(reference: pd.DataFrame, current: pd.DataFrame, columns: tuple[Column, ...]) -> list[str]:
    """Notes on category values the reference never had (they count as drift in the comparison)."""
    notes = []
    for column in columns:
        if column.kind != "category" or column.name not in current or column.name not in reference:
            continue
        known = set(reference[column.name].dropna())
        new = current[column.name].dropna()
        new = new[~new.isin(known)]
        if len(new):
            share = len(new) / max(current[column.name].notna().sum(), 1)
            notes.append(
                f"current: {column.name} has {new.nunique()} value(s) never seen in the reference "
                f"({_examples(new)}) in {share:.1%} of rows"
            )
    return notes


def sample(frame: pd.DataFrame, max_rows: int, seed: int) -> pd.DataFrame:
    """A uniform random sample without replacement (seeded, so reruns decide the same way)."""
    if len(frame) <= max_rows:
        return frame
    return frame.sample(n=max_rows, random_state=seed)
