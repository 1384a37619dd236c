"""The report's comparison on real pull requests: the base's scored rows come from the DVC cache.

Two branches of a reproduced project: one changes only the model's seed, one cripples the model.
Both are compared with main on the same test rows (paired), so the verdicts are the statistics'.
"""

from __future__ import annotations

import json

import pytest

from gitops_ml.markdown import number
from tests.support.project import GATES, run, set_params


def report_on_branch(workspace, branch: str, params: dict) -> tuple[str, dict, int]:
    run(["git", "checkout", "-q", "-b", branch], workspace)
    set_params(workspace, params)
    run(["dvc", "repro"], workspace)
    run(["python", "-m", "gitops_ml.report", "--base", "main"], workspace)
    markdown = (workspace / "build/report/report.md").read_text()
    verdict = json.loads((workspace / "build/report/verdict.json").read_text())
    gate = run(["python", "-m", "gitops_ml.gate", "--baseline-rev", "main"], workspace, check=False)
    return markdown, verdict, gate.returncode


def gated(workspace) -> list[str]:
    task = json.loads((workspace / "models/model.json").read_text())["task"]
    return list(GATES[task])


@pytest.mark.slow
def test_a_seed_only_pull_request_is_paired_shows_intervals_and_passes(workspace):
    markdown, verdict, gate = report_on_branch(workspace, "reseed", {"train.seed": 7})

    assert verdict["paired"] is True and verdict["comparison_note"] is None
    assert "Δ intervals are paired: both models scored the same test rows" in markdown
    metrics = json.loads((workspace / "reports/metrics.json").read_text())
    for name in gated(workspace):
        interval = metrics["intervals"][name]
        assert interval["low"] <= metrics[name] <= interval["high"]
        assert f"{number(metrics[name])} [{number(interval['low'])}, {number(interval['high'])}]" in markdown
        assert verdict["changes"][name]["verdict"] == "no significant change", (name, verdict["changes"][name])
    assert verdict["passed"] is True and gate == 0
    assert verdict["regressed_slices"] == []


@pytest.mark.slow
def test_a_crippled_model_is_a_significant_regression_in_report_and_gate(workspace):
    crippled = {"train.hist_gradient_boosting.max_iter": 1, "train.hist_gradient_boosting.learning_rate": 0.01}
    markdown, verdict, gate = report_on_branch(workspace, "crippled", crippled)

    primary = gated(workspace)[0]
    assert verdict["paired"] is True
    assert verdict["changes"][primary]["verdict"] == "worse"
    assert verdict["passed"] is False and gate == 1
    assert "🔴 worse" in markdown
    assert f"{primary} got worse by" in markdown and "significant at 0.05" in markdown
