"""Cold and no-op `dvc repro` of the shipped example for two checkouts of the project, side by side.

    git worktree add /tmp/before <rev> && make -C /tmp/before env
    .venv/bin/python benchmarks/pipeline_versions.py /tmp/before .

Each checkout's files (what git tracks) are copied into a fresh git repository and reproduced with
that checkout's own environment: a cold `dvc repro`, then the median of three no-op runs. Prints a
markdown table and the ratios (second / first), for docs/benchmarks.md.
"""

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def copy(src: Path, dest: Path):
    files = subprocess.run(["git", "ls-files", "-z"], cwd=src, capture_output=True, text=True, check=True).stdout.split(
        "\0"
    )
    for name in filter(None, files):
        if (src / name).is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src / name, dest / name)
    env = env_for(src)
    for args in (["git", "init", "-q", "-b", "main"], ["git", "add", "-A"], ["git", "commit", "-qm", "x"]):
        subprocess.run(args, cwd=dest, env=env, check=True, capture_output=True)


def env_for(src: Path):
    env = dict(os.environ)
    env.update(
        PATH=f"{src}/.venv/bin:{env['PATH']}",
        DVC_NO_ANALYTICS="1",
        MLFLOW_DISABLE_TELEMETRY="true",
        GIT_AUTHOR_NAME="b",
        GIT_AUTHOR_EMAIL="b@x",
        GIT_COMMITTER_NAME="b",
        GIT_COMMITTER_EMAIL="b@x",
    )
    env.pop("PYTHONPATH", None)
    return env


def timed(cmd, cwd, env):
    t = time.perf_counter()
    r = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True)
    if r.returncode:
        raise SystemExit(r.stdout[-2000:] + r.stderr[-2000:])
    return time.perf_counter() - t


checkouts = [Path(arg).resolve() for arg in sys.argv[1:3]]
if len(checkouts) != 2:
    raise SystemExit(__doc__)
rows = []
with tempfile.TemporaryDirectory() as tmp:
    for src in checkouts:
        revision = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=src, capture_output=True, text=True)
        label = f"{src.name} ({revision.stdout.strip()})"
        dest = Path(tmp) / f"repo-{len(rows)}"
        copy(src, dest)
        env = env_for(src)
        cold = timed(["dvc", "repro"], dest, env)
        noop = statistics.median(timed(["dvc", "repro"], dest, env) for _ in range(3))
        m = json.loads((dest / "reports/metrics.json").read_text())
        rows.append((label, cold, noop, m["roc_auc"]))
print("| code | cold `dvc repro` (s) | no-op `dvc repro` (s) | ROC AUC |")
print("|---|---:|---:|---:|")
for label, cold, noop, auc in rows:
    print(f"| {label} | {cold:.1f} | {noop:.2f} | {auc:.5f} |")
cold, noop = rows[1][1] / rows[0][1], rows[1][2] / rows[0][2]
print(f"\ncold {cold:.2f}x, no-op {noop:.2f}x (second / first); load average {os.getloadavg()[0]:.2f}")
