"""How sure a metric is: intervals on the test rows, and whether a change between two models is real.

Pure functions of targets and predictions (numpy and scipy; no files). Two methods:

- **DeLong** for ROC AUC: an analytic variance from the AUC's structural components (DeLong,
  DeLong & Clarke-Pearson 1988, in the fast form of Sun & Xu 2014), for one model and for the
  difference of two models scored on the same rows. Written here by hand: neither scipy nor
  scikit-learn ships it, and it is twenty lines.
- **Bootstrap** for every other metric: ``resamples`` seeded resamples of the test rows, all
  metrics of a task computed at once from per-row quantities (a resample is a row-count vector,
  so each metric is a weighted sum). A metric's interval is the percentile interval; a paired
  difference uses the *same* resamples for both models, so what they share cancels.

A difference is judged with a Wald test: is it larger than a margin (the metric's gate tolerance,
the smallest change that matters; 0 for an ungated metric or a slice), given its standard error?
Its p-value is what the report's verdict and the gate's significance use, and what the slices'
multiple-testing correction takes.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass
from functools import cached_property
from typing import Literal

import numpy as np
from scipy import stats

from gitops_ml.metric_catalogue import HIGHER_IS_BETTER, PRIMARY, QUALITY

ChangeVerdict = Literal["better", "worse", "no significant change"]
CHUNK = 64  # resamples computed at once: 64 x 84k rows of weights is ~43 MB


@dataclass(frozen=True)
class Interval:
    """A metric's interval at ``level``; ``se`` is its standard error (for unpaired comparisons)."""

    low: float
    high: float
    se: float
    method: str

    def as_dict(self) -> dict:
        return {key: (round(value, 6) if isinstance(value, float) else value) for key, value in asdict(self).items()}


@dataclass(frozen=True)
class Difference:
    """``pr - base`` for one metric: its standard error and its interval at the comparison's level."""

    metric: str
    delta: float
    se: float
    low: float
    high: float
    paired: bool
    method: str

    def p_value(self, margin: float = 0.0) -> float:
        """Two-sided Wald p-value that the change is larger than ``margin`` (NaN when unknown)."""
        if not (math.isfinite(self.delta) and math.isfinite(self.se)):
            return float("nan")
        beyond = abs(self.delta) - margin
        if beyond <= 0:
            return 1.0
        if self.se <= 0:
            return 0.0
        return min(1.0, float(2 * stats.norm.sf(beyond / self.se)))

    def verdict(self, alpha: float, margin: float = 0.0) -> ChangeVerdict:
        return change_verdict(self.metric, self.delta, self.p_value(margin), alpha)


def change_verdict(metric: str, delta: float, p_value: float, alpha: float) -> ChangeVerdict:
    """better / worse when ``p_value`` is below ``alpha``, by which way ``metric`` is better."""
    if not (math.isfinite(p_value) and p_value < alpha) or delta == 0:
        return "no significant change"
    improved = delta > 0 if HIGHER_IS_BETTER.get(metric, True) else delta < 0
    return "better" if improved else "worse"


def z_value(level: float) -> float:
    return float(stats.norm.ppf(0.5 + level / 2))


def wald(metric: str, delta: float, se: float, level: float, paired: bool, method: str) -> Difference:
    """The difference with its normal interval at ``level``."""
    half = z_value(level) * se if math.isfinite(se) else float("nan")
    return Difference(metric, delta, se, delta - half, delta + half, paired, method)


def unpaired(metric: str, pr: float, base: float, pr_se: float, base_se: float, level: float) -> Difference:
    """Two models scored on different rows: their errors are independent, so the variances add."""
    return wald(metric, pr - base, math.hypot(pr_se, base_se), level, False, "independent intervals")


# ---------------------------------------------------------------- DeLong (ROC AUC)


def _auc_components(y: np.ndarray, scores: Sequence[np.ndarray]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """AUCs, and the structural components over positives (V10) and negatives (V01), per model."""
    positive = y == 1
    m, n = int(positive.sum()), int((~positive).sum())
    aucs, v10, v01 = [], [], []
    for score in scores:
        pos, neg = score[positive], score[~positive]
        ranks_all = stats.rankdata(np.concatenate([pos, neg]))
        ranks_pos, ranks_neg = stats.rankdata(pos), stats.rankdata(neg)
        aucs.append((ranks_all[:m].sum() - m * (m + 1) / 2) / (m * n))
        v10.append((ranks_all[:m] - ranks_pos) / n)  # per positive: share of negatives ranked below it
        v01.append(1 - (ranks_all[m:] - ranks_neg) / m)  # per negative: share of positives ranked above it
    return np.array(aucs), np.array(v10), np.array(v01)


def _two_classes(y: np.ndarray) -> bool:
    return bool(np.any(y == 1) and np.any(y == 0))


def _covariance(components: np.ndarray) -> np.ndarray:
    return np.atleast_2d(np.cov(components)) if components.shape[1] > 1 else np.zeros((len(components),) * 2)


def delong_covariance(y: np.ndarray, scores: Sequence[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """The AUCs of ``scores`` on the same rows and their covariance matrix."""
    aucs, v10, v01 = _auc_components(y, scores)
    return aucs, _covariance(v10) / v10.shape[1] + _covariance(v01) / v01.shape[1]


def auc_interval(y: np.ndarray, score: np.ndarray, level: float) -> Interval:
    y = np.asarray(y)
    if not _two_classes(y):
        nan = float("nan")
        return Interval(nan, nan, nan, "DeLong")
    aucs, covariance = delong_covariance(y, [np.asarray(score, dtype=float)])
    se = math.sqrt(max(float(covariance[0, 0]), 0.0))
    half = z_value(level) * se
    return Interval(max(0.0, aucs[0] - half), min(1.0, aucs[0] + half), se, "DeLong")


def auc_difference(y: np.ndarray, pr: np.ndarray, base: np.ndarray, level: float) -> Difference:
    y = np.asarray(y)
    if not _two_classes(y):
        return wald("roc_auc", float("nan"), float("nan"), level, True, "DeLong, paired")
    aucs, covariance = delong_covariance(y, [np.asarray(pr, dtype=float), np.asarray(base, dtype=float)])
    variance = covariance[0, 0] + covariance[1, 1] - 2 * covariance[0, 1]
    return wald(
        "roc_auc", float(aucs[0] - aucs[1]), math.sqrt(max(float(variance), 0.0)), level, True, "DeLong, paired"
    )


# ---------------------------------------------------------------- bootstrap (every other metric)


def resample_counts(rows: int, resamples: int, seed: int) -> Iterator[np.ndarray]:
    """Chunks of bootstrap resamples as row counts (how often each row was drawn), seeded."""
    rng = np.random.default_rng(seed)
    for start in range(0, resamples, CHUNK):
        size = min(CHUNK, resamples - start)
        draws = rng.integers(0, rows, size=(size, rows), dtype=np.int64) + np.arange(size)[:, None] * rows
        # int32 counts: exact, and numpy's integer running sums are several times faster than float ones.
        yield np.bincount(draws.ravel(), minlength=size * rows).reshape(size, rows).astype(np.int32)


def _ratio(top: np.ndarray, bottom: np.ndarray) -> np.ndarray:
    """top / bottom, 0 where bottom is 0 (scikit-learn's zero_division=0)."""
    return np.divide(top, bottom, out=np.zeros_like(top, dtype=float), where=bottom > 0)


@dataclass(frozen=True)
class _RankedPositives:
    """Where average precision steps, for one score vector: computed once, reused by every resample.

    AP = sum over distinct scores (high to low) of recall gained x precision there. Recall only
    moves at scores some positive row has, so only those tie groups are looked at."""

    order: np.ndarray  # rows by descending score
    positive_rows: np.ndarray  # positions (in ``order``) of the positive rows
    step_ends: np.ndarray  # last position of each tie group that holds a positive row
    positives_before: np.ndarray  # positive rows up to and including each step end

    @classmethod
    def of(cls, y: np.ndarray, score: np.ndarray) -> _RankedPositives:
        order = np.argsort(-score, kind="mergesort")
        sorted_score, sorted_y = score[order], y[order]
        new_group = np.r_[False, np.diff(sorted_score) != 0]
        group = np.cumsum(new_group)
        group_end = np.r_[np.flatnonzero(new_group) - 1, len(score) - 1]
        positive_rows = np.flatnonzero(sorted_y == 1)
        step_ends = group_end[np.unique(group[positive_rows])]
        positives_before = np.searchsorted(positive_rows, step_ends, side="right")
        return cls(order, positive_rows, step_ends, positives_before)

    def average_precision(self, counts: np.ndarray) -> np.ndarray:
        """AP per row of ``counts`` (how often each row was drawn), as scikit-learn computes it."""
        if not len(self.step_ends):
            return np.full(len(counts), np.nan)
        drawn = np.take(counts, self.order, axis=1)  # several times faster than fancy indexing here
        # dtype: numpy would widen int32 running sums to int64, at several times the cost.
        predicted_positive = np.cumsum(drawn, axis=1, dtype=counts.dtype)[:, self.step_ends]
        positive_drawn = np.take(drawn, self.positive_rows, axis=1)
        true_positive = np.cumsum(positive_drawn, axis=1, dtype=counts.dtype)[:, self.positives_before - 1]
        precision = _ratio(true_positive, predicted_positive)
        recall = _ratio(true_positive, true_positive[:, -1:])
        return np.sum(np.diff(recall, axis=1, prepend=0.0) * precision, axis=1)


def classification_resampled(
    weights: np.ndarray, y: np.ndarray, score: np.ndarray, label: np.ndarray, ranked: _RankedPositives
) -> dict[str, np.ndarray]:
    """Every bootstrappable classification metric, one value per row of ``weights`` (row counts)."""
    y, label = y.astype(float), label.astype(float)
    clipped = np.clip(score, np.finfo(float).eps, 1 - np.finfo(float).eps)
    per_row = np.stack(
        [
            y * label,  # true positive
            (1 - y) * label,  # false positive
            y * (1 - label),  # false negative
            (label == y).astype(float),
            (score - y) ** 2,
            -(y * np.log(clipped) + (1 - y) * np.log(1 - clipped)),
        ],
        axis=1,
    )
    total = weights.sum(axis=1, dtype=float)
    tp, fp, fn, correct, squared, log_loss = (weights.astype(float) @ per_row).T
    return {
        "pr_auc": ranked.average_precision(weights),
        "f1": _ratio(2 * tp, 2 * tp + fp + fn),
        "precision": _ratio(tp, tp + fp),
        "recall": _ratio(tp, tp + fn),
        "accuracy": correct / total,
        "log_loss": log_loss / total,
        "brier": squared / total,
    }


def regression_resampled(weights: np.ndarray, y: np.ndarray, predicted: np.ndarray) -> dict[str, np.ndarray]:
    error = y - predicted
    weights = weights.astype(float)
    total = weights.sum(axis=1)
    squared, absolute, target, target_squared = (weights @ np.stack([error**2, np.abs(error), y, y**2], axis=1)).T
    spread = target_squared - target**2 / total
    return {
        "rmse": np.sqrt(squared / total),
        "mae": absolute / total,
        "r2": np.where(spread > 0, 1 - _ratio(squared, spread), np.nan),
    }


@dataclass(frozen=True)
class Predictions:
    """One model's predictions on the test rows: the target, the score or number, and (classification) the label."""

    target: np.ndarray
    score: np.ndarray
    label: np.ndarray | None = None

    @cached_property
    def _ranked(self) -> _RankedPositives:
        return _RankedPositives.of(self.target, self.score)

    def subset(self, index: np.ndarray) -> Predictions:
        return Predictions(self.target[index], self.score[index], None if self.label is None else self.label[index])

    def resampled(self, task: str, weights: np.ndarray) -> dict[str, np.ndarray]:
        if task == "classification":
            assert self.label is not None, "classification predictions carry labels"
            return classification_resampled(weights, self.target, self.score, self.label, self._ranked)
        return regression_resampled(weights, self.target, self.score)


def _bootstrap(task: str, models: Sequence[Predictions], resamples: int, seed: int) -> list[dict[str, np.ndarray]]:
    """Each model's metrics on the same resamples: {metric: values}, one dict per model."""
    parts: list[list[dict[str, np.ndarray]]] = [[] for _ in models]
    for counts in resample_counts(len(models[0].target), resamples, seed):
        for part, model in zip(parts, models, strict=True):
            part.append(model.resampled(task, counts))
    return [{name: np.concatenate([chunk[name] for chunk in part]) for name in part[0]} for part in parts]


def metric_intervals(task: str, model: Predictions, level: float, resamples: int, seed: int) -> dict[str, Interval]:
    """An interval for every quality metric of ``task`` (QUALITY in the metric catalogue)."""
    intervals: dict[str, Interval] = {}
    if task == "classification":
        intervals["roc_auc"] = auc_interval(model.target, model.score, level)
    if len(model.target) == 0:
        return intervals
    tail = (1 - level) / 2 * 100
    for name, values in _bootstrap(task, [model], resamples, seed)[0].items():
        finite = values[np.isfinite(values)]
        if len(finite) < len(values) / 2:
            continue  # undefined on most resamples (one class): no interval is better than a wrong one
        low, high = np.percentile(finite, [tail, 100 - tail])
        intervals[name] = Interval(float(low), float(high), float(np.std(finite, ddof=1)), f"bootstrap ({resamples})")
    return {name: intervals[name] for name in QUALITY[task] if name in intervals}


def paired_differences(
    task: str, pr: Predictions, base: Predictions, level: float, resamples: int, seed: int
) -> dict[str, Difference]:
    """``pr - base`` for every quality metric, both models scored on the same rows."""
    differences: dict[str, Difference] = {}
    if task == "classification":
        differences["roc_auc"] = auc_difference(pr.target, pr.score, base.score, level)
    if len(pr.target) == 0:
        return differences
    whole = np.ones((1, len(pr.target)), dtype=np.int32)  # the test rows themselves: the point values
    pr_point, base_point = pr.resampled(task, whole), base.resampled(task, whole)
    pr_values, base_values = _bootstrap(task, [pr, base], resamples, seed)
    for name, values in pr_values.items():
        samples = values - base_values[name]
        finite = samples[np.isfinite(samples)]
        se = float(np.std(finite, ddof=1)) if len(finite) > len(samples) / 2 else float("nan")
        delta = float(pr_point[name][0] - base_point[name][0])
        differences[name] = wald(name, delta, se, level, True, f"paired bootstrap ({resamples})")
    return {name: differences[name] for name in QUALITY[task] if name in differences}


# ---------------------------------------------------------------- many comparisons


def benjamini_hochberg(p_values: Sequence[float]) -> list[float]:
    """Adjusted p-values controlling the false discovery rate across the comparisons (NaN stays NaN)."""
    values = np.asarray(p_values, dtype=float)
    adjusted = np.full(len(values), np.nan)
    known = np.isfinite(values)
    if known.any():
        adjusted[known] = stats.false_discovery_control(values[known], method="bh")
    return adjusted.tolist()


def intervals_dict(intervals: Mapping[str, Interval], level: float) -> dict:
    """The ``intervals`` block of reports/metrics.json."""
    return {"level": level, **{name: interval.as_dict() for name, interval in intervals.items()}}


def interval_in(metrics: object, name: str) -> Mapping:
    """A metric's entry in that block ({low, high, se, method}); empty when a file has none."""
    block = metrics.get("intervals") if isinstance(metrics, Mapping) else None
    found = block.get(name) if isinstance(block, Mapping) else None
    return found if isinstance(found, Mapping) else {}


def primary_interval(task: str, model: Predictions, level: float, resamples: int, seed: int) -> Interval | None:
    """The interval of the task's primary metric alone (ROC AUC or RMSE): cheap enough per slice."""
    if task == "classification":
        return auc_interval(model.target, model.score, level)
    return metric_intervals(task, model, level, resamples, seed).get(PRIMARY[task])


def primary_difference(
    task: str, pr: Predictions, base: Predictions, level: float, resamples: int, seed: int
) -> Difference | None:
    if task == "classification":
        return auc_difference(pr.target, pr.score, base.score, level)
    return paired_differences(task, pr, base, level, resamples, seed).get(PRIMARY[task])
