"""The report on a real pull request: a branch changes a hyperparameter, `dvc repro`, then the CLI."""

from __future__ import annotations

import json

import pytest

from gitops_ml.markdown import number
from tests.support.project import run, set_params

CHANGED_PARAM = "train.hist_gradient_boosting.max_iter"


@pytest.mark.slow
def test_report_compares_a_retrained_branch_with_main(workspace):
    run(["git", "checkout", "-q", "-b", "fewer-trees"], workspace)
    set_params(workspace, {CHANGED_PARAM: 40})
    run(["dvc", "repro"], workspace)

    done = run(["python", "-m", "gitops_ml.report", "--base", "main"], workspace)

    out = workspace / "build/report"
    markdown = (out / "report.md").read_text()
    verdict = json.loads((out / "verdict.json").read_text())
    base = json.loads(run(["git", "show", "main:reports/metrics.json"], workspace).stdout)
    current = json.loads((workspace / "reports/metrics.json").read_text())
    assert base["roc_auc"] != current["roc_auc"]  # the model really was retrained

    assert f"| `roc_auc` | {number(base['roc_auc'])} | {number(current['roc_auc'])} |" in markdown
    assert f"| `{CHANGED_PARAM}` | `200` | `40` |" in markdown
    assert "**Data:** unchanged (same DVC hashes as `main`)." in markdown  # only the model was rebuilt
    assert verdict["base"] == "main" and verdict["base_has_metrics"] is True
    assert markdown.splitlines()[2].startswith("✅ **Quality gate passed**" if verdict["passed"] else "❌")
    assert "![" not in markdown
    assert sorted(p.name for p in (out / "figures").iterdir()) == sorted(
        p.name for p in (workspace / "reports/figures").iterdir()
    )
    assert "wrote build/report/report.md" in done.stdout

    # The gate CLI, which fails the check in CI, reaches the same verdict.
    gate = run(["python", "-m", "gitops_ml.gate", "--baseline-rev", "main"], workspace, check=False)
    assert gate.returncode == (0 if verdict["passed"] else 1)
