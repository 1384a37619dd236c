"""The pull request report, rendered from data: pure functions, no files, git or network.

``render(ReportInputs) -> markdown``. The IO that gathers the inputs lives in ``report.py``.
The comment must read well on GitHub with no image host: tables, folds, and mermaid charts.
Every section follows the task (classification or regression): which metrics, which slice
metric, which charts; names, units and directions come from ``metric_catalogue``.
"""

from __future__ import annotations

import bisect
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import cast

from gitops_ml import paths
from gitops_ml.comparison import CORRECTION, DEFAULT_SIGNIFICANCE, Comparison, SliceChange, metric_verdict
from gitops_ml.config import MetricGate
from gitops_ml.gate import MetricCheck, Verdict
from gitops_ml.markdown import (
    MISSING,
    as_number,
    code,
    details,
    fixed,
    number,
    relative,
    signed,
    signed_fixed,
    signed_interval,
    signed_size_in_bytes,
    size_in_bytes,
    table,
    xychart,
)
from gitops_ml.metric_catalogue import (
    BY_NAME,
    CONTEXT_METRICS,
    HIGHER_IS_BETTER,
    PRIMARY,
    QUALITY,
    SERVING,
    TARGET_UNITS,
    Task,
    for_task,
)
from gitops_ml.uncertainty import Difference

TASKS = tuple(QUALITY)  # classification, regression
# The catalogue's unit for numbers in the target's own units: named once under the table, not in every cell.
# How each task summarises the target: its key in slices.json rows, its key in split.json, and the word.
TARGET_SUMMARY = {
    "classification": ("positive_rate", "target_rate", "rate"),
    "regression": ("target_mean", "target_mean", "mean"),
}
SLICES_SHOWN = 5
FEATURES_SHOWN = 10
CURVE_GRID = [i / 50 for i in range(51)]  # the x values the charts are drawn on
BASE_COLOR, PR_COLOR = "#8b949e", "#1f6feb"  # grey and blue read on GitHub's light and dark themes
IDEAL_COLOR = "#2da44e"  # green: the diagonal of a perfect regression model
ROC_OPERATING_POINTS = (0.05, 0.1, 0.2, 0.5)  # false positive rates
PR_OPERATING_POINTS = (0.25, 0.5, 0.75)  # recalls
RESIDUAL_QUANTILES = (0.1, 0.5, 0.9)
CURVES_TITLE = {"classification": "ROC and precision-recall curves", "regression": "Predicted vs actual and residuals"}
DATA_DIRS = (paths.RAW.parent.as_posix(), paths.SPLIT_DIR.as_posix())


@dataclass(frozen=True)
class Results:
    """One revision's pipeline results, each None when that revision does not have it."""

    metrics: Mapping | None = None
    params: Mapping | None = None  # params.yaml as parsed YAML
    slices: Sequence[Mapping] | None = None
    split: Mapping | None = None
    plots: Mapping[str, Sequence[Mapping]] = field(default_factory=dict)  # reports/plots/<name>.json


@dataclass(frozen=True)
class ReportInputs:
    base_rev: str
    base: Results
    pr: Results
    verdict: Verdict
    rules: Mapping[str, MetricGate]
    task: str = "classification"  # classification | regression (task_of)
    target: str = "target"  # the schema's target column, for table headers
    classes: tuple[object, object] = (0, 1)  # classification: (negative, positive) label, as 0 and 1 in the plots
    base_label: str = ""  # e.g. "main @ 1a2b3c4"
    pr_label: str = ""
    dvc_diff: Mapping | None = None  # `dvc diff --json` output
    dvc_diff_error: str | None = None
    reproduce: str = ""  # shell commands
    mlflow_run_url: str | None = None
    mlflow_experiment: str = ""
    workflow_run_url: str | None = None
    figures: Sequence[str] = ()  # PNG file names, linked only with images=True
    images: bool = False
    figures_dir: str = "figures"
    comparison: Comparison | None = None  # the two models compared on the test rows (comparison.py)
    slice_significance: float = 0.05  # gate.slice_significance


def _interval_of(metrics: object, name: str) -> Mapping:
    return _mapping(_mapping(_mapping(metrics).get("intervals")).get(name))


def with_interval(value: object, interval: Mapping, unit: str = "") -> str:
    """0.7407 [0.7371, 0.7443]; the value alone when there is no interval."""
    text = _value(value, unit)
    low, high = as_number(interval.get("low")), as_number(interval.get("high"))
    if text == MISSING or low is None or high is None:
        return text
    return f"{text} [{number(low)}, {number(high)}]"


def change_with_interval(difference: Difference, like: object) -> str:
    return signed_interval(difference.delta, difference.low, difference.high, like)


VERDICT_MARK = {"better": "🟢 better", "worse": "🔴 worse", "no significant change": "⚪ no significant change"}


def intervals_note(inputs: ReportInputs) -> str | None:
    """How the intervals and verdicts were made: a reviewer's first question about them."""
    block = _mapping(_mapping(inputs.pr.metrics).get("intervals"))
    level = as_number(block.get("level"))
    if level is None:
        return None
    by_method: dict[str, list[str]] = {}
    for name, interval in block.items():
        if _mapping(interval).get("method"):
            by_method.setdefault(str(_mapping(interval)["method"]), []).append(metric_label(name) or name)
    how = "; ".join(f"{', '.join(names)}: {method}" for method, names in by_method.items())
    rows = number(_mapping(inputs.pr.metrics).get("rows"))
    lines = [f"In brackets: the {level:.0%} interval on the {rows} test rows ({how})."]
    comparison = inputs.comparison
    if comparison is not None and comparison.available:
        paired = (
            "are paired: both models scored the same test rows"
            if comparison.paired
            else f"combine the two independent intervals ({comparison.note})"
        )
        lines.append(
            f"Δ intervals {paired}. A verdict needs a change significant at the metric's gate `significance` "
            f"(default {DEFAULT_SIGNIFICANCE:g}) and, for a gated metric, beyond its tolerance."
        )
    elif comparison is not None and comparison.note and inputs.base.metrics is not None:
        lines.append(f"No significance verdicts: {comparison.note}.")
    return " ".join(lines)


# ---------------------------------------------------------------- verdict


def verdict_line(verdict: Verdict, base_rev: str, base_has_metrics: bool) -> str:
    gated = len(verdict.checks)
    if not verdict.passed:
        return "❌ **Quality gate failed**: " + "; ".join(verdict.reasons)
    excused = [check.excused for check in verdict.checks if check.excused]
    if excused:
        return (
            f"✅ **Quality gate passed**: {gated} gated metrics within their limits vs {code(base_rev)}; "
            "worse beyond the tolerance but not significantly: " + "; ".join(excused)
        )
    if base_has_metrics:
        return (
            f"✅ **Quality gate passed**: {gated} gated metrics within their limits and tolerances vs {code(base_rev)}"
        )
    return (
        f"✅ **Quality gate passed**: {gated} gated metrics within their absolute limits (no baseline to compare with)"
    )


def first_pr_note(base_rev: str) -> str:
    return (
        f"> [!NOTE]\n> {code(base_rev)} has no committed metrics yet (first pull request, or the pipeline has not run "
        "there), so this report shows this PR's results only and the gate checked absolute limits. "
        "Once this PR is merged, its metrics become the baseline for the next ones."
    )


# ---------------------------------------------------------------- metrics


def direction_marker(name: str, delta: float | None) -> str:
    higher = HIGHER_IS_BETTER.get(name)
    if delta is None or higher is None or name in CONTEXT_METRICS:
        return ""
    if delta == 0:
        return "same"
    return "🟢 better" if (delta > 0) == higher else "🔴 worse"


def gate_cell(rule: MetricGate | None, check: MetricCheck | None, unit: str = "") -> str:
    """✅/❌ and the rule as applied: floor, ceiling, and how much worse than the base is tolerated."""
    if rule is None or check is None:
        return ""
    limits = []
    if rule.minimum is not None:
        limits.append(f"≥ {_limit(rule.minimum, unit)}")
    if rule.maximum is not None:
        limits.append(f"≤ {_limit(rule.maximum, unit)}")
    if check.allowed is not None:
        limits.append(f"tol {_limit(check.allowed, unit)}")
    status = "✅" if check.passed else "❌"
    return f"{status} {' · '.join(limits)}".strip()


def _mapping(value: object) -> Mapping:
    """A JSON object, or an empty one for anything else a hand-edited file might hold."""
    return value if isinstance(value, Mapping) else {}


def _delta(pr: object, base: object) -> float | None:
    pr, base = as_number(pr), as_number(base)
    if pr is None or base is None:
        return None
    delta = pr - base
    return delta if abs(delta) != float("inf") else None


def _metric_names(task: str, pr: Mapping, base: Mapping, serving: bool) -> list[str]:
    """Serving: the catalogue's serving metrics. Otherwise the task's quality metrics, its context
    numbers, then anything else either side has (another task's, or one the catalogue lacks)."""
    present = [*pr, *(name for name in base if name not in pr)]
    if serving:
        return [name for name in SERVING if name in present]
    # Task: task_of returns one of TASKS; any other string would just match no catalogue metric.
    catalogue = for_task(cast(Task, task))
    known = [*QUALITY.get(task, ()), *(m.name for m in catalogue if m.name in CONTEXT_METRICS)]
    ordered = [name for name in known if name in present]
    return ordered + [name for name in present if name not in ordered and name not in SERVING]


def primary_label(task: str) -> str:
    return BY_NAME[PRIMARY[task]].label


def metric_label(name: str) -> str:
    metric = BY_NAME.get(name)
    if metric is None:
        return ""
    if name in CONTEXT_METRICS and "test" not in metric.label:
        return f"{metric.label} (test set)"  # describes the test split: neither better nor worse
    return metric.label


def metric_unit(name: str) -> str:
    """The unit a value is printed with; target units are named once, under the table."""
    metric = BY_NAME.get(name)
    return metric.unit if metric is not None and metric.unit != TARGET_UNITS else ""


def _value(value: object, unit: str) -> str:
    if unit == "bytes":
        return size_in_bytes(value)
    text = number(value)
    return f"{text} {unit}" if unit and text != MISSING else text


def _limit(value: float, unit: str) -> str:
    """Limits as written in params.yaml (0.65, not 0.6500)."""
    if unit == "bytes":
        return size_in_bytes(value)
    text = f"{value:.4g}" if abs(value) < 1e6 else number(value)
    return f"{text} {unit}" if unit else text


def _change(delta: float | None, unit: str) -> str:
    if unit == "bytes":
        return signed_size_in_bytes(delta)
    text = signed(delta)
    return f"{text} {unit}" if unit and text not in (MISSING, "0") else text


def change_cells(inputs: ReportInputs, name: str, delta: float | None, unit: str) -> list[str]:
    """Δ (with its interval when the models were compared) and the verdict, or the bare direction."""
    differences = inputs.comparison.differences if inputs.comparison is not None else {}
    difference = differences.get(name)
    if difference is None or delta is None:
        return [_change(delta, unit), direction_marker(name, delta)]
    verdict = metric_verdict(difference, inputs.rules, _mapping(inputs.base.metrics).get(name))
    return [change_with_interval(difference, _mapping(inputs.pr.metrics).get(name)), VERDICT_MARK[verdict]]


def metrics_table(inputs: ReportInputs, serving: bool) -> str:
    pr, base = _mapping(inputs.pr.metrics), _mapping(inputs.base.metrics)
    has_base = inputs.base.metrics is not None
    checks = {check.metric: check for check in inputs.verdict.checks}
    names = [name for name in _metric_names(inputs.task, pr, base, serving) if name != "intervals"]
    rows = []
    for name in names:
        unit = metric_unit(name)
        delta = _delta(pr.get(name), base.get(name))
        gate = gate_cell(inputs.rules.get(name), checks.get(name), unit)
        cells = [metric_label(name), code(name)]
        pr_cell = with_interval(pr.get(name), _interval_of(pr, name), unit)
        if has_base:
            change, verdict = change_cells(inputs, name, delta, unit)
            cells += [
                _value(base.get(name), unit),
                pr_cell,
                change,
                relative(delta, as_number(base.get(name))),
                verdict,
            ]
        else:
            cells.append(pr_cell)
        rows.append([*cells, gate])
    if not rows:
        return "_No metrics._"
    if has_base:
        rendered = table(["metric", "name", "base", "PR", "Δ", "Δ %", "", "gate"], rows, "llrrrrll")
    else:
        rendered = table(["metric", "name", "PR", "gate"], rows, "llrl")
    in_target_units = [BY_NAME[name].label for name in names if name in BY_NAME and BY_NAME[name].unit == TARGET_UNITS]
    if in_target_units:
        rendered += f"\n\n{', '.join(in_target_units)}: in the units of {code(inputs.target)}."
    note = None if serving else intervals_note(inputs)
    return rendered + (f"\n\n{note}" if note else "")


# ---------------------------------------------------------------- params


def flatten(tree: object, prefix: str = "") -> dict[str, object]:
    """``{"train": {"seed": 1}}`` -> ``{"train.seed": 1}``; lists stay whole values."""
    if isinstance(tree, Mapping) and tree:
        flat: dict[str, object] = {}
        for key, value in tree.items():
            flat.update(flatten(value, f"{prefix}{key}."))
        return flat
    return {prefix[:-1]: tree} if prefix else {}


_ABSENT = object()


def params_changes(base: Mapping | None, pr: Mapping | None) -> list[tuple[str, object, object]]:
    """(key, base value, PR value) for every key that differs; a side without the key gives _ABSENT."""
    old, new = flatten(base or {}), flatten(pr or {})
    keys = list(new) + [key for key in old if key not in new]
    return [
        (key, old.get(key, _ABSENT), new.get(key, _ABSENT))
        for key in keys
        if old.get(key, _ABSENT) != new.get(key, _ABSENT)
    ]


def _param_value(value: object) -> str:
    if value is _ABSENT:
        return "_(absent)_"
    return code(json.dumps(value, default=str))


def params_section(inputs: ReportInputs) -> str:
    if inputs.base.params is None:
        return f"{code(inputs.base_rev)} has no `params.yaml`; nothing to compare."
    changes = params_changes(inputs.base.params, inputs.pr.params)
    if not changes:
        return "No parameter changed."
    rows = [[code(key), _param_value(old), _param_value(new)] for key, old, new in changes]
    rendered = table(["param", "base", "PR"], rows)
    if any(key.startswith("gate.") for key, _, _ in changes):
        # The gate reads this PR's params.yaml: a PR can loosen its own check, so say it loudly.
        rendered += "\n\n⚠️ This PR changes the quality gate itself (`gate.*`): review those limits."
    return rendered


# ---------------------------------------------------------------- data


def summarise_dvc_diff(diff: Mapping) -> list[tuple[str, str, int]]:
    """(change, path, files inside) per DVC-tracked output; a changed directory's files fold into it."""
    entries = []
    # "not in cache" only says dvc could not list a directory of the base; it is listed as changed too.
    for change in ("added", "deleted", "modified", "renamed"):
        for item in diff.get(change) or []:
            path = item.get("path") if isinstance(item.get("path"), str) else str(item.get("path", {}).get("new", "?"))
            entries.append((change, path))
    directories = {path for _, path in entries if path.endswith("/")}
    folded = []
    for change, path in entries:
        if any(path != d and path.startswith(d) for d in directories):
            continue
        inside = (
            sum(1 for _, other in entries if other != path and other.startswith(path)) if path in directories else 0
        )
        folded.append((change, path, inside))
    return folded


def is_data(path: str) -> bool:
    return any(PurePosixPath(path).is_relative_to(directory) for directory in DATA_DIRS)


def _output(path: str, inside: int) -> str:
    return code(path) + (f" ({inside} files)" if inside else "")


def data_summary(inputs: ReportInputs) -> str:
    if inputs.dvc_diff is None:
        reason = inputs.dvc_diff_error or "not available"
        return f"**Data:** could not compare DVC-tracked files with {code(inputs.base_rev)} ({reason})."
    changes = summarise_dvc_diff(inputs.dvc_diff)
    data = [f"{_output(path, inside)} {change}" for change, path, inside in changes if is_data(path)]
    others = [_output(path, inside) for change, path, inside in changes if not is_data(path)]
    line = (
        f"**Data:** {', '.join(data)}."
        if data
        else f"**Data:** unchanged (same DVC hashes as {code(inputs.base_rev)})."
    )
    if others:
        line += f" Rebuilt: {', '.join(others)}."
    return line


def split_table(inputs: ReportInputs) -> str:
    base, pr = _mapping(inputs.base.split), _mapping(inputs.pr.split)
    names = list(dict.fromkeys([*(name for name in paths.SPLITS if name in pr or name in base), *pr, *base]))
    if not names:
        return "_No split summary._"
    _, key, word = TARGET_SUMMARY[inputs.task]
    rows = []
    for name in names:
        old, new = _mapping(base.get(name)), _mapping(pr.get(name))
        delta = _delta(new.get("rows"), old.get("rows"))
        rows.append(
            [
                name,
                number(old.get("rows")),
                number(new.get("rows")),
                signed(delta),
                number(old.get(key)),
                number(new.get(key)),
            ]
        )
    target = f"{inputs.target} {word}"
    return table(
        ["split", "rows base", "rows PR", "Δ rows", f"{target} base", f"{target} PR"],
        rows,
        "lrrrrr",
    )


def data_details(inputs: ReportInputs) -> str:
    parts = [split_table(inputs)]
    if inputs.dvc_diff is not None:
        changes = summarise_dvc_diff(inputs.dvc_diff)
        if changes:
            rows = [[_output(path, inside), change] for change, path, inside in changes]
            parts.append(table(["DVC-tracked output", "change"], rows))
        else:
            parts.append(f"`dvc diff {inputs.base_rev}`: no DVC-tracked output changed.")
    return "\n\n".join(parts)


# ---------------------------------------------------------------- slices


def _slice_key(row: Mapping) -> tuple[str, str]:
    return str(row.get("slice")), str(row.get("value"))


def _worsening(metric: str, delta: float) -> float:
    """How much worse a change is for ``metric``: positive = worse, whichever way the metric points."""
    return -delta if HIGHER_IS_BETTER.get(metric, True) else delta


def slice_deltas(base: Sequence[Mapping], pr: Sequence[Mapping], metric: str = "roc_auc") -> list[dict]:
    """Slices present on both sides with a finite ``metric``, worst regression first."""
    old = {_slice_key(row): row for row in base if isinstance(row, Mapping)}
    rows = []
    for row in pr:
        if not isinstance(row, Mapping) or _slice_key(row) not in old:
            continue
        before = old[_slice_key(row)]
        delta = _delta(row.get(metric), before.get(metric))
        if delta is not None:
            rows.append({"key": _slice_key(row), "base": before, "pr": row, "delta": delta})
    return sorted(rows, key=lambda item: (-_worsening(metric, item["delta"]), item["key"]))


def _slice_name(key: tuple[str, str]) -> str:
    return code(f"{key[0]}={key[1]}")


def _rows_cell(old: object, new: object) -> str:
    if number(old) == number(new):
        return number(new)
    return f"{number(old)} → {number(new)}"


def _no_slices(inputs: ReportInputs) -> str:
    if inputs.pr.slices is None:
        return "_No slice metrics._"
    evaluate = _mapping(_mapping(inputs.pr.params).get("evaluate"))
    if not evaluate.get("slices"):
        return "No slices configured (`evaluate.slices` in `params.yaml` is empty)."
    smallest = evaluate.get("min_slice_rows")
    at_least = f" {number(smallest)}" if as_number(smallest) is not None else " enough"
    return f"No slice has{at_least} test rows (`evaluate.min_slice_rows`)."


def tested_slices_section(inputs: ReportInputs, changes: Sequence[SliceChange]) -> str:
    """Slices judged by their test: regressed only when significant after the correction."""
    metric = PRIMARY[inputs.task]
    label, alpha = BY_NAME[metric].label, inputs.slice_significance
    regressed = [change for change in changes if change.regressed(alpha)]
    ranked = sorted(changes, key=lambda c: (-_worsening(metric, c.difference.delta), c.column, c.value))
    how = f"{CORRECTION}-corrected over {len(changes)} slices, at {alpha:g}"
    if regressed:
        intro = f"{len(regressed)} of {len(changes)} slices regressed significantly in {label} ({how}):"
        shown = sorted(regressed, key=lambda c: c.adjusted_p)[:SLICES_SHOWN]
    else:
        intro = f"No slice regressed significantly in {label} ({how}). The largest drops:"
        shown = [c for c in ranked if _worsening(metric, c.difference.delta) > 0][:SLICES_SHOWN]
        if not shown:
            return f"No slice got worse in {label} ({len(changes)} slices compared)."
    like = _mapping(inputs.pr.metrics).get(metric)
    rows = [
        [_slice_name((c.column, c.value)), change_with_interval(c.difference, like), number(c.adjusted_p, 2)]
        for c in shown
    ]
    paired = "paired on the same rows" if changes[0].difference.paired else "from independent intervals"
    return (
        f"{intro}\n\n"
        + table(["slice", f"Δ {label} [interval]", "adjusted p"], rows, "lrr")
        + (f"\n\nΔ intervals {paired}.")
    )


def slices_section(inputs: ReportInputs) -> str:
    pr = [row for row in inputs.pr.slices or [] if isinstance(row, Mapping)]
    if not pr:
        return _no_slices(inputs)
    if inputs.comparison is not None and inputs.comparison.slices:
        return tested_slices_section(inputs, inputs.comparison.slices)
    metric = PRIMARY[inputs.task]
    label = BY_NAME[metric].label
    if inputs.base.slices is None:
        ranked = sorted(
            (row for row in pr if as_number(row.get(metric)) is not None),
            key=lambda r: -_worsening(metric, r[metric]),
        )
        rows = [
            [_slice_name(_slice_key(r)), number(r.get("rows")), number(r.get(metric))] for r in ranked[:SLICES_SHOWN]
        ]
        return "Weakest slices of this PR (no base slices to compare with):\n\n" + table(
            ["slice", "rows", label], rows, "lrr"
        )
    deltas = slice_deltas(inputs.base.slices, pr, metric)
    worse = [item for item in deltas if _worsening(metric, item["delta"]) > 0]
    if not worse:
        return f"No slice got worse in {label} ({len(deltas)} slices compared)."
    rows = [
        [
            _slice_name(item["key"]),
            _rows_cell(item["base"].get("rows"), item["pr"].get("rows")),
            number(item["base"].get(metric)),
            number(item["pr"].get(metric)),
            signed(item["delta"]),
        ]
        for item in worse[:SLICES_SHOWN]
    ]
    change = "drops" if HIGHER_IS_BETTER.get(metric, True) else "rises"
    intro = f"{len(worse)} of {len(deltas)} slices got worse in {label}; the largest {change}:\n\n"
    return intro + table(["slice", "rows", f"{label} base", "PR", "Δ"], rows, "lrrrr")


def all_slices_table(inputs: ReportInputs) -> str:
    metric = PRIMARY[inputs.task]
    secondary = next(name for name in QUALITY[inputs.task] if name != metric)
    summary, _, word = TARGET_SUMMARY[inputs.task]
    base = {_slice_key(row): row for row in inputs.base.slices or [] if isinstance(row, Mapping)}
    rows = []
    for row in inputs.pr.slices or []:
        if not isinstance(row, Mapping):
            continue
        before = base.get(_slice_key(row), {})
        delta = _delta(row.get(metric), before.get(metric))
        rows.append(
            [
                _slice_name(_slice_key(row)),
                _rows_cell(before.get("rows", row.get("rows")), row.get("rows")),
                number(before.get(metric)),
                number(row.get(metric)),
                signed(delta),
                number(row.get(secondary)),
                number(row.get(summary)),
            ]
        )
    headers = ["slice", "rows", f"{BY_NAME[metric].label} base", "PR", "Δ", BY_NAME[secondary].label]
    return table([*headers, f"{inputs.target} {word}"], rows, "lrrrrrr")


# ---------------------------------------------------------------- curves


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
            rows.append([label.format(point), number(old, 3), number(new, 3), signed(_delta(new, old), 3)])
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
        [name, number(old), number(new), signed(_delta(new, old))]
        for name, old, new in zip(names, spread(base), spread(pr), strict=True)
    ]
    return table(["residual (actual - predicted)", "base", "PR", "Δ"], rows, "lrrr") + (
        f"\n\nIn the units of {code(inputs.target)}, read from the residual histogram (to within a bin's width). "
        "A median away from 0: the model over- or under-predicts overall; a narrower middle: closer predictions."
    )


def regression_section(inputs: ReportInputs) -> str | None:
    parts = [part for part in (predicted_vs_actual_chart(inputs), residuals_table(inputs)) if part]
    return "\n\n".join(parts) if parts else None


# ---------------------------------------------------------------- confusion matrix, importance


def confusion_table(inputs: ReportInputs) -> str | None:
    def counts(points) -> dict[tuple[object, object], float]:
        # Keyed by the plot's (actual, predicted) as written: 0/1, or whatever a malformed file holds.
        result: dict[tuple[object, object], float] = {}
        for point in points or []:
            if isinstance(point, Mapping) and as_number(point.get("count")) is not None:
                result[(point.get("actual"), point.get("predicted"))] = point["count"]
        return result

    if inputs.task != "classification":
        return None
    pr, base = counts(inputs.pr.plots.get("confusion")), counts(inputs.base.plots.get("confusion"))
    if not pr:
        return None
    label = dict(enumerate(inputs.classes))  # the plots' 0/1: negative/positive class
    rows = []
    for actual in (0, 1):
        row = [f"actual {inputs.target} = {label[actual]}"]
        for predicted in (0, 1):
            new, old = pr.get((actual, predicted)), base.get((actual, predicted))
            delta = _delta(new, old)
            row.append(number(new) + (f" ({signed(delta)})" if delta is not None else ""))
        rows.append(row)
    note = " Cells: PR count (change vs base)." if base else ""
    return (
        table(["", *(f"predicted {inputs.target} = {label[predicted]}" for predicted in (0, 1))], rows, "lrr")
        + f"\n\nAt the model's decision threshold on the test split.{note}"
    )


def importance_table(inputs: ReportInputs) -> str | None:
    def ranked(points) -> list[tuple[str, float]]:
        pairs = [
            (str(p.get("feature")), as_number(p.get("importance"))) for p in points or [] if isinstance(p, Mapping)
        ]
        return sorted(((f, v) for f, v in pairs if v is not None), key=lambda item: -item[1])

    pr, base = ranked(inputs.pr.plots.get("feature_importance")), ranked(inputs.base.plots.get("feature_importance"))
    if not pr:
        return None
    base_value = dict(base)
    base_rank = {feature: rank for rank, (feature, _) in enumerate(base, start=1)}
    rows = [
        [
            rank,
            code(feature),
            fixed(value),
            fixed(base_value.get(feature)),
            signed_fixed(_delta(value, base_value.get(feature))),
            base_rank.get(feature, MISSING),
        ]
        for rank, (feature, value) in enumerate(pr[:FEATURES_SHOWN], start=1)
    ]
    return (
        table(["#", "feature", "PR", "base", "Δ", "base rank"], rows, "rlrrrr")
        + f"\n\nPermutation importance: worsening of {primary_label(inputs.task)} when the feature is shuffled."
    )


# ---------------------------------------------------------------- links, figures


def links_section(inputs: ReportInputs) -> str:
    lines = []
    if inputs.mlflow_run_url:
        experiment = f" (experiment {code(inputs.mlflow_experiment)})" if inputs.mlflow_experiment else ""
        lines.append(f"- MLflow run{experiment}: {inputs.mlflow_run_url}")
    if inputs.workflow_run_url:
        lines.append(f"- Workflow run (full report and PNG plots in its artifacts): {inputs.workflow_run_url}")
    return "\n".join(lines)


def figures_section(inputs: ReportInputs) -> str:
    if not inputs.images or not inputs.figures:
        return ""
    images = [
        f"![{PurePosixPath(name).stem.replace('_', ' ')}]({inputs.figures_dir}/{name})"
        for name in sorted(inputs.figures)
    ]
    return details("Figures (PNG)", "\n".join(images))


# ---------------------------------------------------------------- the whole comment


def _fold(title: str, body: str | None) -> str | None:
    return details(title, body) if body else None


def render(inputs: ReportInputs) -> str:
    base_has_metrics = inputs.base.metrics is not None
    against = inputs.base_label or inputs.base_rev
    title = (
        f"### Model report: {code(inputs.pr_label)} vs {code(against)}"
        if inputs.pr_label
        else (f"### Model report vs {code(against)}")
    )
    sections: list[str | None] = [
        title,
        verdict_line(inputs.verdict, inputs.base_rev, base_has_metrics),
        None if base_has_metrics else first_pr_note(inputs.base_rev),
        "#### Metrics on the test split",
        metrics_table(inputs, serving=False),
        "#### What changed",
        "**Params:**\n\n" + params_section(inputs),
        data_summary(inputs),
        _fold("Split sizes and DVC-tracked outputs", data_details(inputs)),
        "#### Slices that regressed most" if inputs.base.slices is not None else "#### Slices",
        slices_section(inputs),
        _fold("All slices", all_slices_table(inputs) if inputs.pr.slices else None),
        "#### Model size and latency",
        metrics_table(inputs, serving=True),
        _fold(CURVES_TITLE[inputs.task], curves_section(inputs)),
        _fold("Confusion matrix", confusion_table(inputs)),
        _fold(f"Feature importance (top {FEATURES_SHOWN})", importance_table(inputs)),
        figures_section(inputs),
        f"#### Reproduce locally\n\n```sh\n{inputs.reproduce.strip()}\n```" if inputs.reproduce.strip() else None,
        links_section(inputs),
    ]
    return "\n\n".join(section for section in sections if section) + "\n"


def verdict_json(inputs: ReportInputs) -> dict:
    comparison = inputs.comparison
    changes = {}
    if comparison is not None:
        for name, difference in comparison.differences.items():
            verdict = metric_verdict(difference, inputs.rules, _mapping(inputs.base.metrics).get(name))
            changes[name] = {
                "delta": difference.delta,
                "low": difference.low,
                "high": difference.high,
                "verdict": verdict,
            }
    return {
        "passed": inputs.verdict.passed,
        "headline": inputs.verdict.headline(),
        "base": inputs.base_rev,
        "base_has_metrics": inputs.base.metrics is not None,
        "paired": comparison.paired if comparison is not None else False,
        "comparison_note": comparison.note if comparison is not None else None,
        "changes": changes,
        "regressed_slices": [
            f"{c.column}={c.value}"
            for c in (comparison.slices if comparison else ())
            if c.regressed(inputs.slice_significance)
        ],
    }


def reproduce_commands(head_sha: str | None, base_rev: str, fetch_ref: str | None = None) -> str:
    """The commands that rebuild this report on a laptop (from a clone of the repository)."""
    lines = []
    if head_sha:
        if fetch_ref:
            lines.append(f"git fetch origin {fetch_ref}")
        lines.append(f"git checkout {head_sha}")
    lines += [
        "make env   # .venv from uv.lock",
        "make run   # dvc repro",
        f"make report BASE={base_rev}",
    ]
    return "\n".join(lines)
