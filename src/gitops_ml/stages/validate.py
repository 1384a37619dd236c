"""validate: stop the pipeline when the raw data breaks the schema, listing every violation.

On success it writes a small summary (rows, null fractions, target rate) that later stages
depend on, so DVC never trains on data this stage has not passed.
"""

from __future__ import annotations

import pandas as pd

from gitops_ml import paths, schema
from gitops_ml.config import Params
from gitops_ml.io import read_parquet, write_json
from gitops_ml.stages import StageError, run_stage
from gitops_ml.validation import find_violations


def summarize(frame: pd.DataFrame) -> dict:
    return {
        "rows": len(frame),
        "target_rate": round(float(frame[schema.TARGET].mean()), 6),
        "null_fraction": {name: round(float(value), 6) for name, value in frame.isna().mean().items() if value > 0},
        "first": str(frame[schema.TIMESTAMP].min()),
        "last": str(frame[schema.TIMESTAMP].max()),
    }


def validate(params: Params) -> dict:
    try:
        frame = read_parquet(paths.RAW)
    except Exception as error:  # an empty or truncated file is a data problem, not a crash
        raise StageError(f"{paths.RAW}: cannot read as parquet ({error})") from None
    violations = find_violations(frame, params.validate_.min_rows)
    if violations:
        listing = "\n".join(f"  - {violation}" for violation in violations)
        raise StageError(
            f"{paths.RAW} failed validation ({len(violations)} violation(s)); nothing downstream ran:\n{listing}"
        )
    summary = summarize(frame)
    write_json(paths.VALIDATION_REPORT, summary)
    print(f"validate: {summary['rows']} rows passed {len(schema.COLUMNS)} column rules")
    return summary


def main() -> None:
    run_stage(validate)


if __name__ == "__main__":
    main()
