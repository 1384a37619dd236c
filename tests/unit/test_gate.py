"""The quality gate: direction-aware, tolerant within limits, and calm about a first PR."""

from __future__ import annotations

import json
import math
import subprocess

import pytest

from gitops_ml.comparison import Comparison
from gitops_ml.config import MetricGate
from gitops_ml.gate import evaluate_gate, main, render_markdown
from gitops_ml.uncertainty import Difference
from tests.support.project import ROOT, env_for

RULES = {
    "roc_auc": MetricGate(minimum=0.65, abs_tolerance=0.005),
    "log_loss": MetricGate(maximum=0.6, abs_tolerance=0.005),
    "latency_single_row_ms_p50": MetricGate(rel_tolerance=0.5),
}
BASE = {"roc_auc": 0.74, "log_loss": 0.47, "latency_single_row_ms_p50": 10.0}


def verdict(**current):
    return evaluate_gate({**BASE, **current}, BASE, RULES)


def test_unchanged_passes():
    result = verdict()
    assert result.passed and result.reasons == []
    assert result.headline().startswith("✅")


def test_improvement_passes():
    assert verdict(roc_auc=0.80, log_loss=0.40, latency_single_row_ms_p50=5.0).passed


def test_regression_within_tolerance_passes():
    assert verdict(roc_auc=0.736, log_loss=0.474).passed


def test_regression_over_tolerance_fails_and_says_why():
    result = verdict(roc_auc=0.72)
    assert not result.passed
    assert result.reasons == ["roc_auc got worse by 0.02 vs base (0.74 → 0.72, allowed 0.005)"]
    assert "roc_auc got worse" in result.headline()


def test_lower_is_better_metric_fails_when_it_rises():
    assert not verdict(log_loss=0.48).passed
    assert verdict(log_loss=0.30).passed  # falling is improving


def test_relative_tolerance_scales_with_the_baseline():
    assert verdict(latency_single_row_ms_p50=14.9).passed
    result = verdict(latency_single_row_ms_p50=15.1)
    assert not result.passed and "allowed 5" in result.reasons[0]


def test_a_limits_only_metric_ignores_the_baseline():
    rules = {"latency_single_row_ms_p50": MetricGate(maximum=100, vs_baseline=False)}
    slower = {"latency_single_row_ms_p50": 90.0}  # 9x the base, but under the ceiling
    result = evaluate_gate(slower, BASE, rules)
    assert result.passed and result.checks[0].allowed is None
    assert not evaluate_gate({"latency_single_row_ms_p50": 101.0}, BASE, rules).passed


def test_floor_and_ceiling_apply_even_when_baseline_was_as_bad():
    bad = {"roc_auc": 0.6, "log_loss": 0.7, "latency_single_row_ms_p50": 10.0}
    result = evaluate_gate(bad, bad, RULES)
    assert not result.passed
    assert any("below the floor 0.65" in r for r in result.reasons)
    assert any("above the ceiling 0.6" in r for r in result.reasons)


def test_missing_baseline_is_a_pass_with_a_note():
    result = evaluate_gate(BASE, None, RULES)
    assert result.passed
    assert "no baseline" in result.notes[0] and "no baseline" in result.headline()


def test_missing_baseline_still_checks_limits():
    assert not evaluate_gate({**BASE, "roc_auc": 0.5}, None, RULES).passed


def test_metric_missing_from_current_fails():
    current = {k: v for k, v in BASE.items() if k != "log_loss"}
    result = evaluate_gate(current, BASE, RULES)
    assert not result.passed and result.reasons == ["log_loss is missing from the metrics"]


def test_metric_missing_from_baseline_is_checked_against_limits_only():
    baseline = {k: v for k, v in BASE.items() if k != "roc_auc"}
    result = evaluate_gate(BASE, baseline, RULES)
    assert result.passed and "roc_auc" in result.notes[0]


@pytest.mark.parametrize("value", [math.nan, None, "0.7"])
def test_non_numeric_current_fails(value):
    result = verdict(roc_auc=value)
    assert not result.passed and "not a finite number" in result.reasons[0]


def test_markdown_lists_every_gated_metric_with_base_and_current():
    text = render_markdown(verdict(roc_auc=0.72))
    assert text.startswith("**❌ Quality gate failed")
    assert "| roc_auc | 0.74 | 0.72 | -0.02 | 0.005 | ❌ |" in text
    assert "| log_loss | 0.47 | 0.47 | +0 | 0.005 | ✅ |" in text


def _git(repo, *args):
    subprocess.run(["git", *args], cwd=repo, env=env_for(repo), check=True, capture_output=True)


@pytest.fixture
def metrics_repo(tmp_path, monkeypatch):
    """A real git repo whose main branch has committed metrics, and a worse working copy."""
    (tmp_path / "reports").mkdir()
    (tmp_path / "params.yaml").write_text((ROOT / "params.yaml").read_text())
    _git(tmp_path, "init", "-q", "-b", "main")
    _git(tmp_path, "commit", "-q", "--allow-empty", "-m", "first")
    _git(tmp_path, "tag", "before-metrics")
    metrics = json.loads((ROOT / "reports/metrics.json").read_text())
    (tmp_path / "reports/metrics.json").write_text(json.dumps(metrics))
    _git(tmp_path, "add", "-A")
    _git(tmp_path, "commit", "-q", "-m", "metrics")
    monkeypatch.chdir(tmp_path)
    return tmp_path, metrics


def test_cli_against_a_revision(metrics_repo, capsys):
    repo, metrics = metrics_repo
    assert main(["--baseline-rev", "main"]) == 0
    (repo / "reports/metrics.json").write_text(json.dumps({**metrics, "roc_auc": metrics["roc_auc"] - 0.05}))
    assert main(["--baseline-rev", "main", "--markdown", "build/gate.md"]) == 1
    assert "roc_auc got worse" in capsys.readouterr().out
    assert "❌" in (repo / "build/gate.md").read_text()


def test_cli_first_pr_without_base_metrics_passes(metrics_repo, capsys):
    assert main(["--baseline-rev", "before-metrics"]) == 0
    assert "no baseline metrics" in capsys.readouterr().out


def test_cli_unknown_revision_is_a_usage_error(metrics_repo, capsys):
    assert main(["--baseline-rev", "no-such-branch"]) == 2
    assert "unknown git revision 'no-such-branch'" in capsys.readouterr().err


def test_cli_missing_baseline_file_means_no_baseline(metrics_repo, capsys):
    assert main(["--baseline", "nowhere.json"]) == 0
    assert "no baseline metrics" in capsys.readouterr().out


def test_integer_beyond_float_range_is_not_a_finite_number():
    result = verdict(roc_auc=10**400)
    assert not result.passed and "not a finite number" in result.reasons[0]


# ---------------------------------------------------------------- significance (comparison of the two models)


def compared(delta: float, se: float) -> Comparison:
    difference = Difference("roc_auc", delta, se, delta - 1.96 * se, delta + 1.96 * se, True, "test")
    return Comparison(0.95, {"roc_auc": difference}, paired=True)


def test_a_worsening_beyond_the_tolerance_within_noise_passes_and_says_so():
    """0.012 worse, tolerance 0.005: only 0.007 beyond it, with a standard error of 0.005 (z = 1.4)."""
    result = evaluate_gate({**BASE, "roc_auc": 0.728}, BASE, RULES, compared(-0.012, 0.005))
    assert result.passed
    (check,) = [c for c in result.checks if c.metric == "roc_auc"]
    assert check.excused is not None and "not significant at 0.05" in check.excused
    assert any(note.startswith("within noise: roc_auc got worse by 0.012") for note in result.notes)


def test_a_worsening_significantly_beyond_the_tolerance_fails_and_gives_the_p_value():
    result = evaluate_gate({**BASE, "roc_auc": 0.728}, BASE, RULES, compared(-0.012, 0.002))  # z = 3.5
    assert not result.passed
    assert result.reasons == [
        "roc_auc got worse by 0.012 vs base (0.74 → 0.728, allowed 0.005; "
        "p=0.00047 beyond the tolerance, significant at 0.05)"
    ]


def test_significance_null_is_the_point_delta_alone():
    rules = {**RULES, "roc_auc": MetricGate(minimum=0.65, abs_tolerance=0.005, significance=None)}
    result = evaluate_gate({**BASE, "roc_auc": 0.728}, BASE, rules, compared(-0.012, 0.005))
    assert not result.passed and result.reasons[0].endswith("allowed 0.005)")


def test_the_significance_level_is_the_rules():
    lenient = {**RULES, "roc_auc": MetricGate(abs_tolerance=0.005, significance=0.2)}
    # 0.007 beyond the tolerance with se 0.005: p = 0.16, significant at 0.2 but not at 0.05
    assert not evaluate_gate({**BASE, "roc_auc": 0.728}, BASE, lenient, compared(-0.012, 0.005)).passed
    assert evaluate_gate({**BASE, "roc_auc": 0.728}, BASE, RULES, compared(-0.012, 0.005)).passed


def test_without_a_comparison_for_the_metric_the_point_delta_decides():
    result = evaluate_gate({**BASE, "log_loss": 0.48}, BASE, RULES, compared(-0.012, 0.005))  # only roc_auc compared
    assert not result.passed and result.reasons[0].startswith("log_loss got worse by 0.01")


# Boundaries, directions and exact outputs: each fails when a comparison flips (< to <=), the
# tolerance moves by EPSILON the wrong way, a metric's direction is inverted or a line changes.

from gitops_ml.gate import EPSILON, MetricCheck, check_metric  # noqa: E402
from gitops_ml.metric_catalogue import HIGHER_IS_BETTER, check_names  # noqa: E402


def test_every_metric_direction():
    assert HIGHER_IS_BETTER == {
        "roc_auc": True,
        "pr_auc": True,
        "f1": True,
        "precision": True,
        "recall": True,
        "accuracy": True,
        "log_loss": False,
        "brier": False,
        "rmse": False,
        "mae": False,
        "r2": True,
        "model_size_bytes": False,
        "latency_single_row_ms_p50": False,
        "latency_single_row_ms_p99": False,
        "batch_rows_per_second": True,
    }


def test_a_rising_brier_score_fails_and_a_falling_one_passes():
    rules = {"brier": MetricGate(abs_tolerance=0.003)}
    assert not evaluate_gate({"brier": 0.25}, {"brier": 0.20}, rules).passed
    assert evaluate_gate({"brier": 0.15}, {"brier": 0.20}, rules).passed


def test_gateable_names_per_task():
    assert check_names(["roc_auc", "rmse", "rows", "nope"]) == ["nope", "rows"]
    assert check_names({"roc_auc", "rmse", "brier"}, "classification") == ["rmse"]
    assert check_names(["roc_auc", "r2", "positive_rate"], "regression") == ["positive_rate", "roc_auc"]


def test_values_at_the_floor_and_ceiling_pass_and_just_beyond_fail():
    floor, ceiling = MetricGate(minimum=0.5), MetricGate(maximum=0.5)
    assert check_metric("roc_auc", floor, {"roc_auc": 0.5}, {}).passed
    assert check_metric("roc_auc", floor, {"roc_auc": 0.5 - EPSILON}, {}).passed  # float noise
    assert check_metric("roc_auc", floor, {"roc_auc": 0.4999}, {}).failures == (
        "roc_auc 0.4999 is below the floor 0.5",
    )
    assert check_metric("log_loss", ceiling, {"log_loss": 0.5}, {}).passed
    assert check_metric("log_loss", ceiling, {"log_loss": 0.5 + EPSILON}, {}).passed
    assert check_metric("log_loss", ceiling, {"log_loss": 0.5001}, {}).failures == (
        "log_loss 0.5001 is above the ceiling 0.5",
    )


def test_worsening_by_exactly_the_tolerance_passes():
    rule = MetricGate(abs_tolerance=0.25)
    assert check_metric("roc_auc", rule, {"roc_auc": 0.5}, {"roc_auc": 0.75}) == MetricCheck(
        "roc_auc", 0.5, 0.75, 0.25, ()
    )
    assert check_metric("roc_auc", rule, {"roc_auc": 0.5 - EPSILON / 2}, {"roc_auc": 0.75}).passed
    worse = check_metric("roc_auc", rule, {"roc_auc": 0.49}, {"roc_auc": 0.75})
    assert worse.failures == ("roc_auc got worse by 0.26 vs base (0.75 → 0.49, allowed 0.25)",)


def test_missing_and_non_finite_checks_keep_the_baseline():
    rule = MetricGate()
    assert check_metric("roc_auc", rule, {}, {"roc_auc": 0.7}) == MetricCheck(
        "roc_auc", None, 0.7, None, ("roc_auc is missing from the metrics",)
    )
    assert check_metric("roc_auc", rule, {"roc_auc": "x"}, {"roc_auc": 0.7}) == MetricCheck(
        "roc_auc", None, 0.7, None, ("roc_auc is not a finite number ('x')",)
    )


def test_markdown_in_full_with_notes_and_every_failure():
    current = {"roc_auc": 0.6, "log_loss": 0.7, "latency_single_row_ms_p50": 1.0}
    baseline = {"roc_auc": 0.74, "log_loss": 0.47}
    assert render_markdown(evaluate_gate(current, baseline, RULES)) == "\n".join(
        [
            "**❌ Quality gate failed: roc_auc 0.6 is below the floor 0.65; "
            "roc_auc got worse by 0.14 vs base (0.74 → 0.6, allowed 0.005); "
            "log_loss 0.7 is above the ceiling 0.6; "
            "log_loss got worse by 0.23 vs base (0.47 → 0.7, allowed 0.005)**",
            "",
            "> not in the baseline, limits only: latency_single_row_ms_p50",
            "",
            "| metric | base | current | Δ | tolerance | result |",
            "|---|---:|---:|---:|---:|:---:|",
            "| roc_auc | 0.74 | 0.6 | -0.14 | 0.005 | ❌ |",
            "| log_loss | 0.47 | 0.7 | +0.23 | 0.005 | ❌ |",
            "| latency_single_row_ms_p50 | — | 1 | — | — | ✅ |",
            "",
        ]
    )


def test_a_pass_without_baseline_names_the_note_in_the_headline():
    text = render_markdown(evaluate_gate(BASE, None, RULES))
    assert text.splitlines()[:4] == [
        "**✅ Quality gate passed (no baseline metrics: checked against absolute limits only)**",
        "",
        "> no baseline metrics: checked against absolute limits only",
        "",
    ]
    plain = render_markdown(evaluate_gate(BASE, BASE, RULES))
    assert plain.splitlines()[:3] == [
        "**✅ Quality gate passed**",
        "",
        "| metric | base | current | Δ | tolerance | result |",
    ]


def test_new_metrics_note_only_names_metrics_present_now_and_absent_before():
    rules = {"roc_auc": MetricGate(), "pr_auc": MetricGate(), "f1": MetricGate()}
    result = evaluate_gate({"roc_auc": 0.7, "pr_auc": 0.4}, {"roc_auc": 0.7, "f1": 0.5}, rules)
    assert result.notes == ("not in the baseline, limits only: pr_auc",)
    two = evaluate_gate({"roc_auc": 0.7, "pr_auc": 0.4, "f1": 0.5}, {"brier": 0.1}, rules)
    assert two.notes == ("not in the baseline, limits only: roc_auc, pr_auc, f1",)


def test_cli_prints_exactly_what_it_writes_and_reads_a_baseline_file(metrics_repo, capfd):
    repo, metrics = metrics_repo
    (repo / "base.json").write_text(json.dumps({**metrics, "roc_auc": metrics["roc_auc"] + 0.05}))
    assert main(["--baseline", "base.json", "--markdown", "deep/er/gate.md"]) == 1
    written = (repo / "deep/er/gate.md").read_text()
    assert "roc_auc got worse" in written
    assert capfd.readouterr().out == written
    assert main(["--baseline-rev", "main"]) == 0
    out = capfd.readouterr().out  # nothing from git leaks into the verdict
    assert out.startswith("**✅ Quality gate passed**\n") and out.endswith("|\n")


def test_cli_writes_the_markdown_again_into_an_existing_directory(metrics_repo):
    repo, _ = metrics_repo
    assert main(["--baseline-rev", "main", "--markdown", "build/gate.md"]) == 0
    assert main(["--baseline-rev", "main", "--markdown", "build/gate.md"]) == 0
    assert (repo / "build/gate.md").read_text().startswith("**✅ Quality gate passed**")
