"""What the intervals cost the evaluate stage, and what the paired comparison costs the report.

    make run   # the shipped example, so data/split/test.parquet and the model exist
    .venv/bin/python benchmarks/intervals.py [--repeats 3]

Side by side in one run: the evaluate stage as it is, and the same stage with the interval
functions replaced by no-ops, alternating, the median of each. Their difference is what the
intervals add. Then, on the stage's scored rows, the paired comparison the report and the gate
make (the model against a perturbed copy of itself). Prints a markdown table for
docs/benchmarks.md. The evaluate stage's own outputs are rewritten, as `dvc repro` would.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from unittest import mock

import numpy as np

from gitops_ml import paths, scored_rows
from gitops_ml.config import load_params
from gitops_ml.schema import load_schema
from gitops_ml.stages import evaluate as stage
from gitops_ml.uncertainty import Predictions, paired_differences


def timed(function) -> float:
    start = time.perf_counter()
    function()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    params, schema = load_params(), load_schema()
    settings = params.evaluate.intervals

    def with_intervals():
        stage.evaluate(params, schema)

    def without_intervals():
        with (
            mock.patch.object(stage, "metric_intervals", lambda *a, **k: {}),
            mock.patch.object(stage, "primary_interval", lambda *a, **k: None),
        ):
            stage.evaluate(params, schema)

    timings: dict[str, list[float]] = {"with": [], "without": []}
    for _ in range(args.repeats):
        timings["without"].append(timed(without_intervals))
        timings["with"].append(timed(with_intervals))

    rows, _ = scored_rows.read(paths.PREDICTIONS)
    rng = np.random.default_rng(0)
    perturbed = np.clip(rows.score + rng.normal(scale=0.01, size=len(rows.score)), 0, 1)
    other = Predictions(rows.target, perturbed, rows.label)
    task = "classification" if rows.label is not None else "regression"
    paired = [
        timed(lambda: paired_differences(task, other, rows, settings.level, settings.resamples, settings.seed))
        for _ in range(args.repeats)
    ]

    with_s, without_s = statistics.median(timings["with"]), statistics.median(timings["without"])
    print(f"load: {os.getloadavg()[0]:.2f} (1 min); test rows: {len(rows.target):,}; resamples: {settings.resamples}")
    print()
    print(f"| measure | seconds (median of {args.repeats}) |")
    print("|---|---:|")
    print(f"| evaluate stage, without intervals | {without_s:.1f} |")
    print(f"| evaluate stage, with intervals | {with_s:.1f} |")
    print(f"| **added by the intervals** | **{with_s - without_s:.1f}** (ratio {with_s / without_s:.2f}x) |")
    print(f"| paired comparison, every quality metric (report, gate) | {statistics.median(paired):.1f} |")


if __name__ == "__main__":
    main()
