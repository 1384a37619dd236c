"""The report on a real pull request: a branch changes a hyperparameter, `dvc repro`, then the CLI."""

from __future__ import annotations

import json

import pytest
import yaml

from gitops_ml.markdown import number
from gitops_ml.metric_catalogue import HIGHER_IS_BETTER
from tests.support.project import run, set_params

CHANGED_PARAM = "train.hist_gradient_boosting.max_iter"


def expected_failures(current: dict, base: dict, rules: dict) -> list[str]:
    """The gate's rule as params.yaml states it, computed here on its own (an oracle, not the
    gate's code): a floor, a ceiling, and at most max(abs, rel x |base|) worse than the base.
    The test sets ``significance: null``, so the point delta alone decides (test_report_comparison.py
    covers the significance rule)."""
    failed = []
    for name, rule in rules.items():
        value = current[name]
        if rule.get("minimum") is not None and value < rule["minimum"]:
            failed.append(name)
        if rule.get("maximum") is not None and value > rule["maximum"]:
            failed.append(name)
        if rule.get("vs_baseline", True) and name in base:
            allowed = max(rule.get("abs_tolerance", 0.0), rule.get("rel_tolerance", 0.0) * abs(base[name]))
            worse = base[name] - value if HIGHER_IS_BETTER[name] else value - base[name]
            if worse > allowed + 1e-12:
                failed.append(name)
    return failed


@pytest.mark.slow
def test_report_compares_a_retrained_branch_with_main(workspace):
    run(["git", "checkout", "-q", "-b", "fewer-trees"], workspace)
    rules = yaml.safe_load((workspace / "params.yaml").read_text())["gate"]["metrics"]
    set_params(workspace, {CHANGED_PARAM: 40, **{f"gate.metrics.{name}.significance": None for name in rules}})
    run(["dvc", "repro"], workspace)

    done = run(["python", "-m", "gitops_ml.report", "--base", "main"], workspace)

    out = workspace / "build/report"
    markdown = (out / "report.md").read_text()
    verdict = json.loads((out / "verdict.json").read_text())
    base = json.loads(run(["git", "show", "main:reports/metrics.json"], workspace).stdout)
    current = json.loads((workspace / "reports/metrics.json").read_text())
    assert base["roc_auc"] != current["roc_auc"]  # the model really was retrained

    assert f"| `roc_auc` | {number(base['roc_auc'])} | {number(current['roc_auc'])} [" in markdown  # [interval]
    assert f"| `{CHANGED_PARAM}` | `200` | `40` |" in markdown
    assert "**Data:** unchanged (same DVC hashes as `main`)." in markdown  # only the model was rebuilt
    assert verdict["base"] == "main" and verdict["base_has_metrics"] is True
    failures = expected_failures(current, base, rules)
    assert verdict["passed"] is (not failures), (failures, verdict["headline"])
    assert markdown.splitlines()[2].startswith("✅ **Quality gate passed**" if not failures else "❌")
    assert all(name in verdict["headline"] for name in failures)
    assert "![" not in markdown
    assert sorted(p.name for p in (out / "figures").iterdir()) == sorted(
        p.name for p in (workspace / "reports/figures").iterdir()
    )
    assert "wrote build/report/report.md" in done.stdout

    # The gate CLI, which fails the check in CI, reaches the same verdict.
    gate = run(["python", "-m", "gitops_ml.gate", "--baseline-rev", "main"], workspace, check=False)
    assert gate.returncode == (1 if failures else 0)

    # A floor no model reaches: the same branch must now fail, on exactly that reason.
    set_params(workspace, {"gate.metrics.roc_auc.minimum": 1.0})
    run(["python", "-m", "gitops_ml.report", "--base", "main"], workspace)
    verdict = json.loads((out / "verdict.json").read_text())
    assert verdict["passed"] is False
    assert f"roc_auc {current['roc_auc']:g} is below the floor 1" in verdict["headline"]
    assert (out / "report.md").read_text().splitlines()[2].startswith("❌ **Quality gate failed**: ")
    gate = run(["python", "-m", "gitops_ml.gate", "--baseline-rev", "main"], workspace, check=False)
    assert gate.returncode == 1
