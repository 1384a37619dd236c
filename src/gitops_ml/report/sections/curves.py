"""Charts: ROC and precision-recall (classification), predicted vs actual and residuals (regression)."""

from __future__ import annotations

import bisect
import math
from collections.abc import Iterable, Mapping, Sequence

from gitops_ml.markdown import as_number, code, number, signed, table, xychart
from gitops_ml.report.deltas import metric_delta
from gitops_ml.report.inputs import ReportInputs

CURVE_GRID = [i / 50 for i in range(51)]  # the x values the charts are drawn on

BASE_COLOR, PR_COLOR = "#8b949e", "#1f6feb"  # grey and blue read on GitHub's light and dark themes

IDEAL_COLOR = "#2da44e"  # green: the diagonal of a perfect regression model

ROC_OPERATING_POINTS = (0.05, 0.1, 0.2, 0.5)  # false positive rates

PR_OPERATING_POINTS = (0.25, 0.5, 0.75)  # recalls

RESIDUAL_QUANTILES = (0.1, 0.5, 0.9)

CURVES_TITLE = {"classification": "ROC and precision-recall curves", "regression": "Predicted vs actual and residuals"}


def resample(points: Sequence[Mapping] | None, x: str, y: str, grid: Sequence[float]) -> list[float] | None:
    """``y`` at each ``grid`` x by linear interpolation (flat beyond the ends); None if unusable."""
    pairs = sorted(
        (px, py)
        for p in points or ()
        if isinstance(p, Mapping)
        if (px := as_number(p.get(x))) is not None and (py := as_number(p.get(y))) is not None
    )
    if len(pairs) < 2:
        return None
    xs = [a for a, _ in pairs]
    values = []
    for target in grid:
        right = min(max(bisect.bisect_left(xs, target), 1), len(xs) - 1)
        (x0, y0), (x1, y1) = pairs[right - 1], pairs[right]
        share = 0.0 if x1 == x0 else min(max((target - x0) / (x1 - x0), 0.0), 1.0)
        values.append(y0 + (y1 - y0) * share)
    return values


def curve_chart(inputs: ReportInputs, plot: str, x: str, y: str, title: str, x_label: str, y_label: str) -> str | None:
    series, colors = [], []
    for name, results, color in (("base", inputs.base, BASE_COLOR), ("PR", inputs.pr, PR_COLOR)):
        values = resample(results.plots.get(plot), x, y, CURVE_GRID)
        if values is not None:
            series.append((name, values))
            colors.append(color)
    if not series:
        return None
    return xychart(title, x_label, y_label, series, colors=colors)


def operating_points(inputs: ReportInputs) -> str:
    rows = []
    for plot, x, y, label, at in (
        ("roc", "fpr", "tpr", "true positive rate at {:.0%} false positives", ROC_OPERATING_POINTS),
        ("precision_recall", "recall", "precision", "precision at {:.0%} recall", PR_OPERATING_POINTS),
    ):
        base = resample(inputs.base.plots.get(plot), x, y, at)
        pr = resample(inputs.pr.plots.get(plot), x, y, at)
        if pr is None and base is None:
            continue
        for i, point in enumerate(at):
            old = base[i] if base else None
            new = pr[i] if pr else None
            rows.append([label.format(point), number(old, 3), number(new, 3), signed(metric_delta(new, old), 3)])
    return table(["operating point", "base", "PR", "Δ"], rows, "lrrr") if rows else ""


def curves_section(inputs: ReportInputs) -> str | None:
    if inputs.task == "regression":
        return regression_section(inputs)
    candidates = [
        curve_chart(inputs, "roc", "fpr", "tpr", "ROC curve", "false positive rate", "true positive rate"),
        curve_chart(inputs, "precision_recall", "recall", "precision", "Precision-recall curve", "recall", "precision"),
    ]
    charts = [chart for chart in candidates if chart]
    if not charts:
        return None
    legend = "Grey: base, blue: this PR." if inputs.base.plots else "This PR only (the base has no curves)."
    return "\n\n".join([legend, *charts, operating_points(inputs)])


def _nice_range(low: float, high: float) -> tuple[float, float]:
    """Outward to a round step (a tenth of the span's order of magnitude): 3.2..47.9 -> 3..48."""
    if high <= low:
        pad = abs(low) * 0.05 or 0.5
        low, high = low - pad, high + pad
    if not math.isfinite(high - low):  # 1e308 either side: nothing rounder to offer
        return low, high
    step = 10 ** math.floor(math.log10(high - low)) / 10
    return math.floor(low / step) * step, math.ceil(high / step) * step


def _usable(points: Iterable[object] | None, *keys: str) -> list[Mapping]:
    return [
        p for p in points or () if isinstance(p, Mapping) and all(as_number(p.get(key)) is not None for key in keys)
    ]


def predicted_vs_actual_chart(inputs: ReportInputs) -> str | None:
    """Mean actual over mean predicted (the quantile bins of plots/predicted_vs_actual.json), base
    and PR on one grid, with the diagonal a perfect model would follow."""
    x, y = "mean_predicted", "mean_actual"
    sides = [
        (name, _usable(results.plots.get("predicted_vs_actual"), x, y), color)
        for name, results, color in (("base", inputs.base, BASE_COLOR), ("PR", inputs.pr, PR_COLOR))
    ]
    sides = [(name, points, color) for name, points, color in sides if len(points) >= 2]
    if not sides:
        return None
    xs = [point[x] for _, points, _ in sides for point in points]
    low, high = _nice_range(min(xs), max(xs))
    grid = [low + (high - low) * share for share in CURVE_GRID]
    series: list[tuple[str, Sequence[float]]] = []
    for name, points, _ in sides:
        values = resample(points, x, y, grid)
        assert values is not None, "sides keep only curves with at least two usable points"
        series.append((name, values))
    ys = [value for _, values in series for value in values] + [low, high]
    series.append(("predicted = actual", grid))
    chart = xychart(
        "Predicted vs actual",
        f"mean predicted {inputs.target}",
        f"mean actual {inputs.target}",
        series,
        x_range=(low, high),
        y_range=_nice_range(min(ys), max(ys)),
        colors=[color for _, _, color in sides] + [IDEAL_COLOR],
    )
    drawn = ", ".join("grey: base" if name == "base" else "blue: this PR" for name, _, _ in sides)
    legend = (
        f"{drawn[0].upper()}{drawn[1:]}, green: predicted = actual. The test rows are binned by prediction "
        "(equal-count bins); a line joins its bins' mean actual values and is held flat beyond them."
    )
    return f"{legend}\n\n{chart}"


def histogram_quantiles(
    points: Iterable[object] | None, quantiles: Sequence[float] = RESIDUAL_QUANTILES
) -> list[float] | None:
    """Quantiles of a histogram of evenly spaced bins ({residual: centre, count}), spreading each
    bin's rows evenly over its width; None when there are fewer than two bins or no rows."""
    bins = sorted((p["residual"], p["count"]) for p in _usable(points, "residual", "count") if p["count"] >= 0)
    total = sum(count for _, count in bins)
    if len(bins) < 2 or total <= 0:
        return None
    width = (bins[-1][0] - bins[0][0]) / (len(bins) - 1)
    values = []
    for quantile in quantiles:
        wanted, below = quantile * total, 0.0
        for centre, count in bins:
            if count > 0 and below + count >= wanted:
                values.append(centre - width / 2 + width * (wanted - below) / count)
                break
            below += count
    return values


def residuals_table(inputs: ReportInputs) -> str | None:
    pr = histogram_quantiles(inputs.pr.plots.get("residuals"))
    base = histogram_quantiles(inputs.base.plots.get("residuals"))
    if pr is None and base is None:
        return None

    def spread(values: list[float] | None) -> list[float | None]:
        return [*values, values[-1] - values[0]] if values else [None] * (len(RESIDUAL_QUANTILES) + 1)

    names = [f"residual at the {quantile:.0%} quantile" for quantile in RESIDUAL_QUANTILES]
    names[RESIDUAL_QUANTILES.index(0.5)] = "median residual"
    names.append(f"width of the middle {RESIDUAL_QUANTILES[-1] - RESIDUAL_QUANTILES[0]:.0%}")
    rows = [
        [name, number(old), number(new), signed(metric_delta(new, old))]
        for name, old, new in zip(names, spread(base), spread(pr), strict=True)
    ]
    return table(["residual (actual - predicted)", "base", "PR", "Δ"], rows, "lrrr") + (
        f"\n\nIn the units of {code(inputs.target)}, read from the residual histogram (to within a bin's width). "
        "A median away from 0: the model over- or under-predicts overall; a narrower middle: closer predictions."
    )


def regression_section(inputs: ReportInputs) -> str | None:
    parts = [part for part in (predicted_vs_actual_chart(inputs), residuals_table(inputs)) if part]
    return "\n\n".join(parts) if parts else None
