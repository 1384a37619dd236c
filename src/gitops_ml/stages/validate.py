"""validate: stop the pipeline when the raw data breaks the schema, listing every violation.

On success it writes a small summary (rows, rows without a target, null fractions, target rate
or mean) that later stages depend on, so DVC never trains on data this stage has not passed.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from gitops_ml import paths
from gitops_ml.config import Params
from gitops_ml.io import read_parquet, write_json
from gitops_ml.schema import Schema
from gitops_ml.stages import StageError, run_stage
from gitops_ml.targets import target_summary
from gitops_ml.validation import find_violations


def summarize(frame: pd.DataFrame, schema: Schema) -> dict:
    labelled = frame[schema.target].notna()
    summary: dict[str, Any] = {
        "rows": int(labelled.sum()),
        "missing_target_rows": int((~labelled).sum()),
        "target_rate" if schema.task == "classification" else "target_mean": target_summary(frame, schema),
        "null_fraction": {name: round(float(value), 6) for name, value in frame.isna().mean().items() if value > 0},
    }
    if schema.timestamp:
        summary.update(first=str(frame[schema.timestamp].min()), last=str(frame[schema.timestamp].max()))
    return summary


def validate(params: Params, schema: Schema) -> dict:
    try:
        frame = read_parquet(paths.RAW)
    except Exception as error:  # an empty or truncated file is a data problem, not a crash
        raise StageError(f"{paths.RAW}: cannot read as parquet ({error})") from None
    violations = find_violations(frame, schema, params.validate_.min_rows)
    if violations:
        listing = "\n".join(f"  - {violation}" for violation in violations)
        raise StageError(
            f"{paths.RAW} failed validation ({len(violations)} violation(s)); nothing downstream ran:\n{listing}"
        )
    summary = summarize(frame, schema)
    write_json(paths.VALIDATION_REPORT, summary)
    dropped = summary["missing_target_rows"]
    print(
        f"validate: {summary['rows']} rows passed {len(schema.columns)} column rules"
        + (f"; {dropped} row(s) without a target will be dropped" if dropped else "")
    )
    return summary


def main() -> None:
    run_stage(validate)


if __name__ == "__main__":
    main()
