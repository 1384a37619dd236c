"""Intervals and comparisons behave statistically as they claim: coverage, pairing, verdicts, corrections.

The models here are real scikit-learn models fitted on synthetic data with a known truth, so the
tests can say what the right verdict is. Coverage is checked by simulation against a metric whose
population value is known in closed form; the tolerances are three binomial standard deviations
around 95% for the number of simulated data sets.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats
from sklearn import metrics as skm
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from sklearn.linear_model import LogisticRegression

from gitops_ml.comparison import Side, compare, metric_verdict
from gitops_ml.config import GateParams
from gitops_ml.gate import evaluate_gate
from gitops_ml.metric_catalogue import QUALITY
from gitops_ml.metrics import task_metrics
from gitops_ml.schema_draft import GATES
from gitops_ml.uncertainty import (
    Difference,
    Predictions,
    auc_difference,
    auc_interval,
    benjamini_hochberg,
    metric_intervals,
    paired_differences,
    unpaired,
)

THRESHOLD = 0.35


def scored(y, score, threshold=THRESHOLD) -> Predictions:
    return Predictions(np.asarray(y, dtype=float), np.asarray(score, dtype=float), (score >= threshold).astype(int))


def binormal(rng, n: int, separation: float = 1.0):
    """Negatives' scores ~ N(0, 1), positives' ~ N(separation, 1): AUC = Phi(separation / sqrt 2)."""
    y = (rng.random(n) < 0.5).astype(int)
    return y, rng.normal(size=n) + separation * y


def within_three_sd(coverage: float, trials: int, level: float = 0.95) -> bool:
    return abs(coverage - level) <= 3 * math.sqrt(level * (1 - level) / trials)


# ---------------------------------------------------------------- point values and methods


def test_resampled_metrics_on_the_rows_themselves_are_scikit_learns():
    rng = np.random.default_rng(3)
    y = (rng.random(3000) < 0.3).astype(int)
    score = np.round(rng.random(3000) * 0.6 + 0.4 * y, 2)  # rounded: many ties, as real models give
    model = scored(y, score)
    expected = task_metrics("classification", y, score, THRESHOLD)
    values = model.resampled("classification", np.ones((1, len(y)), dtype=np.int32))
    assert set(values) == {"pr_auc", "f1", "precision", "recall", "accuracy", "log_loss", "brier"}
    for name, found in values.items():
        assert found[0] == pytest.approx(expected[name], abs=1e-6), name

    target = rng.normal(size=2000)
    predicted = target + rng.normal(size=2000)
    regression = Predictions(target, predicted).resampled("regression", np.ones((1, 2000), dtype=np.int32))
    expected = task_metrics("regression", target, predicted, None)
    for name in ("rmse", "mae", "r2"):
        assert regression[name][0] == pytest.approx(expected[name], abs=1e-6), name


def test_delong_auc_is_scikit_learns_and_its_standard_error_agrees_with_the_bootstrap():
    rng = np.random.default_rng(5)
    y, score = binormal(rng, 2000)
    interval = auc_interval(y, score, 0.95)
    auc = skm.roc_auc_score(y, score)
    assert interval.low < auc < interval.high
    assert (interval.low + interval.high) / 2 == pytest.approx(auc, abs=1e-9)  # symmetric, not clipped here
    draws = rng.integers(0, len(y), size=(400, len(y)))
    bootstrap_se = np.std([skm.roc_auc_score(y[d], score[d]) for d in draws], ddof=1)
    assert interval.se == pytest.approx(bootstrap_se, rel=0.15)


def test_intervals_are_seeded_and_cover_every_quality_metric():
    rng = np.random.default_rng(1)
    y, raw = binormal(rng, 1500)
    model = scored(y, stats.norm.cdf(raw - 0.5))
    first = metric_intervals("classification", model, 0.95, 200, seed=7)
    assert list(first) == ["roc_auc", "pr_auc", "f1", "precision", "recall", "accuracy", "log_loss", "brier"]
    assert first == metric_intervals("classification", model, 0.95, 200, seed=7)
    assert first["brier"] != metric_intervals("classification", model, 0.95, 200, seed=8)["brier"]
    values = task_metrics("classification", y, model.score, THRESHOLD)
    for name, interval in first.items():
        assert interval.low <= values[name] <= interval.high, name
        assert interval.se > 0
    wider = metric_intervals("classification", model, 0.99, 200, seed=7)
    assert wider["brier"].high - wider["brier"].low > first["brier"].high - first["brier"].low


def test_one_class_has_no_auc_interval_rather_than_a_wrong_one():
    interval = auc_interval(np.zeros(50), np.linspace(0, 1, 50), 0.95)
    assert math.isnan(interval.low) and math.isnan(interval.se)


# ---------------------------------------------------------------- coverage (simulation)


def test_delong_interval_covers_the_true_auc_95_percent_of_the_time():
    rng = np.random.default_rng(11)
    true_auc = stats.norm.cdf(1 / math.sqrt(2))
    trials = 400
    covered = 0
    for _ in range(trials):
        y, score = binormal(rng, 400)
        interval = auc_interval(y, score, 0.95)
        covered += interval.low <= true_auc <= interval.high
    assert within_three_sd(covered / trials, trials), covered / trials


def test_bootstrap_interval_covers_the_true_mae_and_accuracy_95_percent_of_the_time():
    rng = np.random.default_rng(12)
    true_mae = math.sqrt(2 / math.pi)  # E|e| for e ~ N(0, 1)
    true_accuracy = 0.8
    trials = 300
    mae_covered = accuracy_covered = 0
    for trial in range(trials):
        target = rng.normal(size=400)
        mae = metric_intervals("regression", Predictions(target, target + rng.normal(size=400)), 0.95, 400, trial)
        mae_covered += mae["mae"].low <= true_mae <= mae["mae"].high
        y = (rng.random(400) < 0.5).astype(int)
        correct = rng.random(400) < true_accuracy
        label = np.where(correct, y, 1 - y)
        model = Predictions(y.astype(float), label * 0.6 + 0.2, label)
        accuracy = metric_intervals("classification", model, 0.95, 400, trial)["accuracy"]
        accuracy_covered += accuracy.low <= true_accuracy <= accuracy.high
    # The percentile bootstrap runs a little narrow on small samples: allow for it below 95%.
    assert within_three_sd(mae_covered / trials, trials) or 0.9 <= mae_covered / trials <= 0.95
    assert within_three_sd(accuracy_covered / trials, trials) or 0.9 <= accuracy_covered / trials <= 0.95


# ---------------------------------------------------------------- pairing


def test_the_paired_interval_is_narrower_than_the_unpaired_one_on_the_same_rows():
    rng = np.random.default_rng(2)
    y, raw = binormal(rng, 5000)
    base = scored(y, stats.norm.cdf(raw - 0.5))
    pr = scored(y, stats.norm.cdf(raw - 0.5 + rng.normal(scale=0.2, size=len(y))))  # a close variant
    paired = paired_differences("classification", pr, base, 0.95, 300, 0)
    pr_intervals = metric_intervals("classification", pr, 0.95, 300, 0)
    base_intervals = metric_intervals("classification", base, 0.95, 300, 0)
    for name in ("roc_auc", "brier", "accuracy", "pr_auc"):
        independent = unpaired(
            name,
            task_metrics("classification", y, pr.score, THRESHOLD)[name],
            task_metrics("classification", y, base.score, THRESHOLD)[name],
            pr_intervals[name].se,
            base_intervals[name].se,
            0.95,
        )
        assert paired[name].delta == pytest.approx(independent.delta, abs=1e-5), name  # metrics.json rounds
        assert paired[name].high - paired[name].low < 0.6 * (independent.high - independent.low), name


def test_delong_paired_difference_of_a_model_with_itself_is_exactly_zero():
    rng = np.random.default_rng(4)
    y, score = binormal(rng, 1000)
    same = auc_difference(y, score, score, 0.95)
    assert same.delta == 0 and same.se == 0
    assert same.verdict(0.05) == "no significant change"


# ---------------------------------------------------------------- verdicts: seeds, regressions, improvements


def synthetic(rng, rows: int, regression: bool = False):
    features = rng.normal(size=(rows, 6))
    signal = features[:, 0] + 0.5 * features[:, 1] - 0.5 * features[:, 2] * features[:, 3] + 0.1 * features[:, 4]
    if regression:
        return features, 3 * signal + rng.normal(scale=2.0, size=rows)
    return features, (rng.random(rows) < 1 / (1 + np.exp(-(signal - 1)))).astype(int)


def draft_rules(task: str):
    """The quality gates a new project gets from `make schema` (schema_draft.GATES)."""
    return {name: rule for name, rule in GateParams(metrics=GATES[task]).metrics.items() if name in QUALITY[task]}


def fitted(task: str, train, test, **hyper) -> Predictions:
    (x_train, y_train), (x_test, y_test) = train, test
    if task == "classification":
        model = HistGradientBoostingClassifier(max_iter=200, **hyper).fit(x_train, y_train)
        return scored(y_test, model.predict_proba(x_test)[:, 1])
    model = HistGradientBoostingRegressor(max_iter=200, **hyper).fit(x_train, y_train)
    return Predictions(y_test.astype(float), model.predict(x_test))


def judged(task: str, pr: Predictions, base: Predictions):
    """The comparison, each gated metric's verdict, and the gate, as the report and CI compute them."""
    rules = draft_rules(task)
    pr_metrics = task_metrics(task, pr.target, pr.score, THRESHOLD)
    base_metrics = task_metrics(task, base.target, base.score, THRESHOLD)
    frame = __import__("pandas").DataFrame(index=range(len(pr.target)))
    comparison = compare(task, Side(pr_metrics, (), (pr, frame)), Side(base_metrics, (), (base, frame)), 0.95, 300, 0)
    assert comparison.paired
    verdicts = {
        name: metric_verdict(comparison.differences[name], rules, base_metrics[name])
        for name in rules
        if name in comparison.differences
    }
    return verdicts, evaluate_gate(pr_metrics, base_metrics, rules, comparison)


@pytest.mark.parametrize("task", ["classification", "regression"])
def test_a_seed_only_change_is_no_significant_change_and_passes_over_several_seeds(task):
    rng = np.random.default_rng(21)
    train, test = synthetic(rng, 20000, task == "regression"), synthetic(rng, 10000, task == "regression")
    base = fitted(task, train, test, random_state=42)
    for seed in (0, 1, 2, 3):
        reseeded = fitted(task, train, test, random_state=seed)
        assert not np.array_equal(reseeded.score, base.score)  # the seed does change the model (early stopping)
        verdicts, gate = judged(task, reseeded, base)
        assert set(verdicts.values()) == {"no significant change"}, (seed, verdicts)
        assert gate.passed, (seed, gate.reasons)


@pytest.mark.parametrize("task", ["classification", "regression"])
def test_a_crippled_model_is_a_significant_regression_and_fails_the_gate(task):
    rng = np.random.default_rng(22)
    train, test = synthetic(rng, 20000, task == "regression"), synthetic(rng, 10000, task == "regression")
    base = fitted(task, train, test, random_state=42)
    crippled = fitted(task, (train[0][:, 4:], train[1]), (test[0][:, 4:], test[1]), random_state=42)  # weak features
    verdicts, gate = judged(task, crippled, base)
    primary = "roc_auc" if task == "classification" else "rmse"
    assert verdicts[primary] == "worse"
    assert not gate.passed
    assert any(reason.startswith(primary) and "significant at 0.05" in reason for reason in gate.reasons)


def test_a_small_true_improvement_is_detected_on_large_data_and_not_on_small():
    """Adding a weakly informative feature lifts ROC AUC by ~0.02: real, beyond the draft's
    0.01 tolerance, and only visible with enough test rows."""
    rng = np.random.default_rng(23)

    def data(rows):
        features = rng.normal(size=(rows, 2))
        logit = 1.2 * features[:, 0] + 0.45 * features[:, 1] - 1
        return features, (rng.random(rows) < 1 / (1 + np.exp(-logit))).astype(int)

    train = data(20000)
    without = LogisticRegression().fit(train[0][:, :1], train[1])
    with_feature = LogisticRegression().fit(train[0], train[1])
    outcomes = {}
    for rows in (60000, 600):
        x, y = data(rows)
        base = scored(y, without.predict_proba(x[:, :1])[:, 1])
        pr = scored(y, with_feature.predict_proba(x)[:, 1])
        verdicts, gate = judged("classification", pr, base)
        outcomes[rows] = verdicts["roc_auc"]
        assert gate.passed
    assert outcomes == {60000: "better", 600: "no significant change"}


# ---------------------------------------------------------------- margins and corrections


def test_a_change_within_the_margin_is_never_significant_and_one_beyond_it_needs_the_evidence():
    difference = Difference("roc_auc", -0.012, 0.002, -0.016, -0.008, True, "test")
    assert difference.p_value(0.0) < 1e-6
    assert difference.verdict(0.05) == "worse"
    assert difference.p_value(0.012) == 1.0 and difference.verdict(0.05, 0.012) == "no significant change"
    assert difference.verdict(0.05, 0.01) == "no significant change"  # 0.002 beyond: one standard error
    assert difference.verdict(0.05, 0.005) == "worse"  # 0.007 beyond: 3.5 standard errors
    lower_is_better = Difference("brier", -0.01, 0.001, -0.012, -0.008, True, "test")
    assert lower_is_better.verdict(0.05) == "better"


def test_p_value_exactly_at_alpha_is_not_significant():
    z = stats.norm.isf(0.025)  # two-sided p = 0.05
    difference = Difference("roc_auc", z * 0.01, 0.01, 0.0, 0.0, True, "test")
    p_value = difference.p_value()
    assert p_value == pytest.approx(0.05)
    assert difference.verdict(p_value) == "no significant change"
    assert difference.verdict(p_value + 1e-12) == "better"


def test_benjamini_hochberg_adjusts_as_published_and_keeps_unknowns_unknown():
    adjusted = benjamini_hochberg([0.01, 0.04, 0.03, float("nan"), 0.2])
    # sorted p: 0.01, 0.03, 0.04, 0.2 (m = 4): 0.01*4/1, 0.03*4/2, 0.04*4/3, 0.2 -> monotone from the top
    assert adjusted[0] == pytest.approx(0.04)
    assert adjusted[2] == pytest.approx(0.04 * 4 / 3)
    assert adjusted[1] == pytest.approx(0.04 * 4 / 3)
    assert math.isnan(adjusted[3])
    assert adjusted[4] == pytest.approx(0.2)
