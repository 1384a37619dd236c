"""Which comparison the report and gate get: paired on the same rows, independent intervals, or none."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from gitops_ml.comparison import Side, compare
from gitops_ml.metrics import task_metrics
from gitops_ml.uncertainty import Predictions, intervals_dict, metric_intervals, primary_interval

THRESHOLD = 0.35


def side(y, score, slices: pd.DataFrame, with_rows=True, with_intervals=True) -> Side:
    rows = Predictions(y.astype(float), score, (score >= THRESHOLD).astype(int))
    metrics = dict(task_metrics("classification", y, score, THRESHOLD))
    if with_intervals:
        metrics["intervals"] = intervals_dict(metric_intervals("classification", rows, 0.95, 200, 0), 0.95)
    entries = []
    for column in slices.columns:
        for value, index in slices.groupby(column).indices.items():
            interval = primary_interval("classification", rows.subset(index), 0.95, 200, 0)
            entries.append(
                {
                    "slice": column,
                    "value": str(value),
                    "roc_auc": float(task_metrics("classification", y[index], score[index], THRESHOLD)["roc_auc"]),
                    "interval": interval.as_dict(),
                }
            )
    return Side(metrics, entries, (rows, slices) if with_rows else None)


def two_models(rng, rows=6000, damage_region="b"):
    """The PR's model is the base's plus noise, and much worse in one region."""
    y = (rng.random(rows) < 0.4).astype(int)
    raw = rng.normal(size=rows) + 1.2 * y
    region = rng.choice(["a", "b", "c", "d"], size=rows)
    base = stats.norm.cdf(raw - 0.5)
    pr = stats.norm.cdf(raw - 0.5 + rng.normal(scale=0.05, size=rows))
    hurt = region == damage_region
    pr[hurt] = stats.norm.cdf(rng.normal(size=hurt.sum()) + 0.3 * y[hurt])  # near chance there
    return y, base, pr, pd.DataFrame({"region": region})


def test_same_rows_are_compared_paired_and_the_damaged_slice_alone_is_flagged():
    y, base, pr, slices = two_models(np.random.default_rng(0))
    comparison = compare("classification", side(y, pr, slices), side(y, base, slices), 0.95, 200, 0)
    assert comparison.paired and comparison.note is None
    assert set(comparison.differences) >= {"roc_auc", "brier", "pr_auc"}
    assert comparison.differences["roc_auc"].paired
    flagged = [(c.column, c.value) for c in comparison.slices if c.regressed(0.05)]
    assert flagged == [("region", "b")]
    for change in comparison.slices:  # the correction only ever raises p-values
        assert change.adjusted_p >= change.difference.p_value() - 1e-12


def test_other_rows_fall_back_to_independent_intervals_and_say_why():
    rng = np.random.default_rng(1)
    y, base, pr, slices = two_models(rng)
    shuffled = rng.permutation(len(y))
    pr_side = side(y[shuffled], pr[shuffled], slices.iloc[shuffled].reset_index(drop=True))
    comparison = compare("classification", pr_side, side(y, base, slices), 0.95, 200, 0)
    assert not comparison.paired
    assert comparison.note == "not paired: the base scored other test rows (the data or the split changed)"
    assert not any(d.paired for d in comparison.differences.values())
    assert comparison.slices and not comparison.slices[0].difference.paired


def test_missing_base_rows_use_the_intervals_and_pass_on_the_reason():
    y, base, pr, slices = two_models(np.random.default_rng(2))
    base_side = side(y, base, slices, with_rows=False)
    comparison = compare("classification", side(y, pr, slices), base_side, 0.95, 200, 0, why_unpaired="no remote")
    assert comparison.available and not comparison.paired
    assert comparison.note == "not paired: no remote"


def test_a_base_without_intervals_gives_no_comparison():
    y, base, pr, slices = two_models(np.random.default_rng(3))
    old_base = side(y, base, slices, with_rows=False, with_intervals=False)
    comparison = compare("classification", side(y, pr, slices), old_base, 0.95, 200, 0)
    assert not comparison.available
    assert comparison.note == "the base's metrics carry no intervals: point deltas only"
    assert compare("classification", side(y, pr, slices), None, 0.95, 200, 0).note == "no base results to compare with"
