"""Drift check time and peak memory on 1M rows x 20 columns (docs/benchmarks.md, "Drift check").

    .venv/bin/python benchmarks/drift_check.py [--rows 1000000] [--max-rows 20000 50000 100000]

Writes a reference and a current table of ROWS rows (15 numeric + 5 categorical columns; the
current one drifts in 5 numeric and 1 categorical column) as parquet, then, for each max_rows,
runs the check's path in a fresh process: read both files, sample (drift.max_rows), Evidently's
comparison, decision, HTML report. Each run reports its phases, total wall time and peak RSS;
Evidently's import is timed separately (it is paid once per run of the CLI). CPU seconds are
shown next to wall seconds: on a shared 2-core machine wall time mostly measures the neighbours.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

NUMERIC, CATEGORICAL, DRIFTED_NUMERIC = 15, 5, 5

CHILD = r"""
import json, resource, sys, time
start, cpu_start = time.perf_counter(), time.process_time()
import pandas as pd
from gitops_ml.config import DriftParams
from gitops_ml.drift import decision, prepare
t_import_pandas = time.perf_counter()
from gitops_ml.drift import engine
import evidently  # noqa: F401  (timed: the CLI pays it once per run)
t_import, cpu_import = time.perf_counter(), time.process_time()
reference = pd.read_parquet(sys.argv[1]); current = pd.read_parquet(sys.argv[2])
t_read = time.perf_counter()
params = DriftParams(max_rows=int(sys.argv[3]), drift_share=0.3, prediction=False)
reference = prepare.sample(reference, params.max_rows, params.seed)
current = prepare.sample(current, params.max_rows, params.seed)
t_sample = time.perf_counter()
results, snapshot = engine.compare(reference, current, list(current.columns), params)
t_compare = time.perf_counter()
summary = {"current": {"rows": len(current)}, "columns": results, "all_null": []}
verdict = decision.decide(summary, params)
snapshot.save_html(sys.argv[4])
t_end, cpu_end = time.perf_counter(), time.process_time()
print(json.dumps({
    "max_rows": params.max_rows,
    "import_s": t_import - start,
    "read_s": t_read - t_import,
    "sample_s": t_sample - t_read,
    "compare_s": t_compare - t_sample,
    "html_s": t_end - t_compare,
    "check_s": t_end - t_import,
    "total_s": t_end - start,
    "import_cpu_s": cpu_import - cpu_start,
    "check_cpu_s": cpu_end - cpu_import,
    "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    "status": verdict["status"],
    "drifted": len(verdict["drifted_columns"]),
}))
"""


def make_tables(rows: int, directory: Path) -> tuple[Path, Path]:
    rng = np.random.default_rng(0)
    categories = np.array([f"v{i}" for i in range(12)])

    def table(drift: bool) -> pd.DataFrame:
        data = {}
        for i in range(NUMERIC):
            shift = 0.5 if drift and i < DRIFTED_NUMERIC else 0.0
            data[f"n{i}"] = rng.normal(shift, 1.0, rows)
        for i in range(CATEGORICAL):
            weights = np.ones(len(categories))
            if drift and i == 0:
                weights[:3] = 6  # a few values become much more common
            data[f"c{i}"] = rng.choice(categories, size=rows, p=weights / weights.sum())
        return pd.DataFrame(data)

    reference, current = directory / "reference.parquet", directory / "current.parquet"
    table(False).to_parquet(reference)
    table(True).to_parquet(current)
    return reference, current


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--max-rows", type=int, nargs="+", default=[20_000, 50_000])
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        reference, current = make_tables(args.rows, Path(tmp))
        print(f"{args.rows:,} rows x {NUMERIC + CATEGORICAL} columns per table; one fresh process per max_rows\n")
        header = ["max_rows", "check wall (s)", "check CPU (s)", "read", "sample", "compare", "HTML"]
        header += ["import Evidently wall / CPU (s)", "peak RSS (MB)", "decision"]
        print("| " + " | ".join(header) + " |")
        print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
        for max_rows in args.max_rows:
            out = subprocess.run(
                [sys.executable, "-c", CHILD, str(reference), str(current), str(max_rows), f"{tmp}/report.html"],
                capture_output=True,
                text=True,
                check=True,
            )
            r = json.loads(out.stdout.strip().splitlines()[-1])
            cells = [
                f"{max_rows:,}",
                f"{r['check_s']:.1f}",
                f"{r['check_cpu_s']:.1f}",
                *(f"{r[phase]:.1f}" for phase in ("read_s", "sample_s", "compare_s", "html_s")),
                f"{r['import_s']:.1f} / {r['import_cpu_s']:.1f}",
                f"{r['peak_rss_mb']:.0f}",
                f"{r['status']}, {r['drifted']} of 20 drifted",
            ]
            print("| " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    started = time.perf_counter()
    main()
    print(f"\n(benchmark wall time {time.perf_counter() - started:.0f} s)")
