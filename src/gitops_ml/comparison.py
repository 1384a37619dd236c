"""This pull request's model against the base's: a difference with an interval for every quality metric and slice.

Paired when both revisions scored the same test rows (their reports/predictions.parquet agree row
by row on the target): both models on the same rows, so the difference's interval is tight.
Otherwise the two revisions' own intervals (reports/metrics.json ``intervals``) are combined as
independent, and the comparison says why it is not paired. With neither, there is no comparison
and the gate falls back to the point deltas.

Slices are compared on the task's primary metric. A slice is flagged as regressed only when its
drop stays significant after the Benjamini-Hochberg correction over all the slices compared: with
forty slices, two would look "significant" at 5% by chance alone.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import cast

import numpy as np
import pandas as pd

from gitops_ml.config import MetricGate
from gitops_ml.markdown import as_number
from gitops_ml.metric_catalogue import PRIMARY, QUALITY
from gitops_ml.uncertainty import (
    ChangeVerdict,
    Difference,
    Predictions,
    benjamini_hochberg,
    change_verdict,
    interval_in,
    paired_differences,
    primary_difference,
    unpaired,
)

DEFAULT_SIGNIFICANCE = 0.05
CORRECTION = "Benjamini-Hochberg"


@dataclass(frozen=True)
class SliceChange:
    column: str
    value: str
    difference: Difference
    adjusted_p: float  # after the correction over all slices compared

    def regressed(self, alpha: float) -> bool:
        return change_verdict(self.difference.metric, self.difference.delta, self.adjusted_p, alpha) == "worse"


@dataclass(frozen=True)
class Comparison:
    level: float
    differences: Mapping[str, Difference] = field(default_factory=dict)
    slices: Sequence[SliceChange] = ()
    paired: bool = False
    note: str | None = None  # why the comparison is not paired, or why there is none

    @property
    def available(self) -> bool:
        return bool(self.differences)


@dataclass(frozen=True)
class Side:
    """One revision's results as the comparison needs them; ``rows`` is None when not to be had."""

    metrics: Mapping
    slices: Sequence[Mapping] = ()
    rows: tuple[Predictions, pd.DataFrame] | None = None


def same_rows(pr: Predictions, base: Predictions) -> bool:
    """Both revisions scored the same test rows in the same order (the targets agree row by row)."""
    return len(pr.target) == len(base.target) and bool(np.array_equal(pr.target, base.target, equal_nan=True))


def _independent(
    metric: str, pr: Mapping, base: Mapping, pr_interval: Mapping, base_interval: Mapping, level: float
) -> Difference | None:
    values = [as_number(v) for v in (pr.get(metric), base.get(metric), pr_interval.get("se"), base_interval.get("se"))]
    if any(value is None for value in values):
        return None
    pr_value, base_value, pr_se, base_se = cast(list[float], values)
    return unpaired(metric, pr_value, base_value, pr_se, base_se, level)


def _slice_key(row: Mapping) -> tuple[str, str]:
    return str(row.get("slice")), str(row.get("value"))


def _paired_slices(task: str, pr: Side, base: Side, level: float, resamples: int, seed: int) -> list[tuple]:
    assert pr.rows is not None and base.rows is not None
    (pr_rows, slices), (base_rows, _) = pr.rows, base.rows
    wanted = {_slice_key(row) for row in pr.slices}  # the slices evaluate kept (min_slice_rows)
    found = []
    for column in slices.columns:
        for value, index in slices.groupby(column, sort=True).indices.items():
            if (column, str(value)) not in wanted:
                continue
            difference = primary_difference(
                task, pr_rows.subset(index), base_rows.subset(index), level, resamples, seed
            )
            if difference is not None:
                found.append((column, str(value), difference))
    return found


def _independent_slices(task: str, pr: Side, base: Side, level: float) -> list[tuple]:
    metric = PRIMARY[task]
    old = {_slice_key(row): row for row in base.slices}
    found = []
    for row in pr.slices:
        before = old.get(_slice_key(row))
        if before is None:
            continue
        pr_interval, base_interval = row.get("interval") or {}, before.get("interval") or {}
        difference = _independent(metric, row, before, pr_interval, base_interval, level)
        if difference is not None:
            found.append((*_slice_key(row), difference))
    return found


def corrected(found: list[tuple]) -> list[SliceChange]:
    adjusted = benjamini_hochberg([difference.p_value() for *_, difference in found])
    return [SliceChange(column, value, d, p) for (column, value, d), p in zip(found, adjusted, strict=True)]


def compare(
    task: str, pr: Side, base: Side | None, level: float, resamples: int, seed: int, why_unpaired: str | None = None
) -> Comparison:
    """The comparison of ``pr`` with ``base``; ``why_unpaired`` says why the base's rows are missing."""
    if base is None:
        return Comparison(level, note="no base results to compare with")
    if pr.rows is not None and base.rows is not None:
        if same_rows(pr.rows[0], base.rows[0]):
            differences = paired_differences(task, pr.rows[0], base.rows[0], level, resamples, seed)
            slices = corrected(_paired_slices(task, pr, base, level, resamples, seed))
            return Comparison(level, differences, slices, paired=True)
        why_unpaired = "the base scored other test rows (the data or the split changed)"
    differences = {}
    for name in QUALITY[task]:
        found = _independent(
            name, pr.metrics, base.metrics, interval_in(pr.metrics, name), interval_in(base.metrics, name), level
        )
        if found is not None:
            differences[name] = found
    if not differences:
        return Comparison(level, note="the base's metrics carry no intervals: point deltas only")
    note = f"not paired: {why_unpaired or 'the base predictions are not available'}"
    return Comparison(level, differences, corrected(_independent_slices(task, pr, base, level)), note=note)


def metric_verdict(difference: Difference, rules: Mapping[str, MetricGate], base_value: object) -> ChangeVerdict:
    """A metric's verdict at its gate rule's significance, with its tolerance as the smallest real change.

    An ungated metric is tested at the default level against no change at all."""
    rule = rules.get(difference.metric)
    alpha = rule.significance if rule is not None and rule.significance is not None else DEFAULT_SIGNIFICANCE
    base = as_number(base_value)
    margin = rule.tolerance(base) if rule is not None and rule.vs_baseline and base is not None else 0.0
    return difference.verdict(alpha, margin)
