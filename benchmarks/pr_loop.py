"""Pull-request loop benchmark: what the `report` job of pr.yml costs, run by act on this machine.

    uv run python benchmarks/pr_loop.py [--pushes 2]

Builds the PR lab of the end-to-end tests (tests/support/pr_lab.py: a project repo on the test
sample whose main has a committed pipeline result, a fake GitHub, the action stand-ins), opens a
PR that changes a hyperparameter and runs the real report job once per push. The first push starts
with an empty uv cache (packages come from the index) and the DVC cache that main's pipeline run
left; later pushes have both caches warm, as on GitHub after the first run of a PR. Prints the
wall time of each act run, the CPU time it used, and where the wall time went, step by step, as a
markdown table.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.support.pr_lab import PullRequestLab

STEPS = {  # act's step names → the columns of the table
    "Install the environment": "install",
    "actions/cache": "restore DVC cache",
    "Reproduce the pipeline": "dvc repro",
    "Render the report against the base branch": "report",
    "Quality gate": "gate",
}


def cpu_seconds() -> float:
    """User + system CPU of every finished child process (act and all it ran): unlike wall time,
    it barely moves when other work shares the machine."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def step_seconds(result) -> dict[str, float]:
    seconds = dict.fromkeys(STEPS.values(), 0.0)
    for entry in result.entries:
        if "executionTime" not in entry or entry.get("stage") != "Main":
            continue
        for name, column in STEPS.items():
            if name in entry["msg"]:
                seconds[column] += entry["executionTime"] / 1e9
    return seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pushes", type=int, default=2, help="pushes to the PR (the first one is the cold run)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="pr-loop-") as tmp:
        started = time.perf_counter()
        lab = PullRequestLab(Path(tmp))
        print(f"lab ready in {time.perf_counter() - started:.0f} s (base repo + dvc repro on main)", file=sys.stderr)
        rows = []
        try:
            for push in range(1, args.pushes + 1):
                head = lab.push("tune", {"train.threshold": round(0.35 - 0.01 * push, 2)}, f"push {push}")
                if push == 1:
                    lab.github.add_pull(1, head_sha=head, head_ref="tune")
                else:
                    lab.github.set_pull_head(1, head)
                load = os.getloadavg()[0]
                before = cpu_seconds()
                started = time.perf_counter()
                result = lab.build("tune", 1, run_id=100 + push)
                wall = time.perf_counter() - started
                cpu = cpu_seconds() - before
                if not result.artifact("pr-report").joinpath("report.md").exists():
                    print(result.log, file=sys.stderr)
                    return 1
                rows.append((push, wall, cpu, step_seconds(result), load, result.succeeded))
        finally:
            lab.close()

    columns = list(STEPS.values())
    header = " | ".join(f"{c} (s)" for c in columns)
    print(f"| push | caches | act run (s) | CPU (s) | {header} | load avg at start | check |")
    print("|---|---|---:|---:|" + "---:|" * len(columns) + "---:|---|")
    for push, wall, cpu, seconds, load, passed in rows:
        caches = "uv cold, DVC from main" if push == 1 else "warm"
        cells = " | ".join(f"{seconds[c]:.1f}" for c in columns)
        print(f"| {push} | {caches} | {wall:.1f} | {cpu:.1f} | {cells} | {load:.1f} | {'green' if passed else 'red'} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
