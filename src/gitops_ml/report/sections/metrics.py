"""The metrics tables: values with intervals, changes with intervals and verdicts, the gate per metric."""

from __future__ import annotations

from collections.abc import Mapping
from typing import cast

from gitops_ml.comparison import DEFAULT_SIGNIFICANCE, metric_verdict
from gitops_ml.markdown import as_number, code, number, relative, table
from gitops_ml.metric_catalogue import BY_NAME, CONTEXT_METRICS, QUALITY, SERVING, TARGET_UNITS, Task, for_task
from gitops_ml.report.cells import (
    VERDICT_MARK,
    change_text,
    change_with_interval,
    direction_marker,
    gate_cell,
    metric_label,
    metric_unit,
    value_cell,
    with_interval,
)
from gitops_ml.report.deltas import metric_delta
from gitops_ml.report.inputs import ReportInputs, as_mapping
from gitops_ml.uncertainty import interval_in


def intervals_note(inputs: ReportInputs) -> str | None:
    """How the intervals and verdicts were made: a reviewer's first question about them."""
    block = as_mapping(as_mapping(inputs.pr.metrics).get("intervals"))
    level = as_number(block.get("level"))
    if level is None:
        return None
    by_method: dict[str, list[str]] = {}
    for name, interval in block.items():
        if as_mapping(interval).get("method"):
            by_method.setdefault(str(as_mapping(interval)["method"]), []).append(metric_label(name) or name)
    how = "; ".join(f"{', '.join(names)}: {method}" for method, names in by_method.items())
    rows = number(as_mapping(inputs.pr.metrics).get("rows"))
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


def metric_names(task: str, pr: Mapping, base: Mapping, serving: bool) -> list[str]:
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


def change_cells(inputs: ReportInputs, name: str, delta: float | None, unit: str) -> list[str]:
    """Δ (with its interval when the models were compared) and the verdict, or the bare direction."""
    differences = inputs.comparison.differences if inputs.comparison is not None else {}
    difference = differences.get(name)
    if difference is None or delta is None:
        return [change_text(delta, unit), direction_marker(name, delta)]
    verdict = metric_verdict(difference, inputs.rules, as_mapping(inputs.base.metrics).get(name))
    return [change_with_interval(difference, as_mapping(inputs.pr.metrics).get(name)), VERDICT_MARK[verdict]]


def metrics_table(inputs: ReportInputs, serving: bool) -> str:
    pr, base = as_mapping(inputs.pr.metrics), as_mapping(inputs.base.metrics)
    has_base = inputs.base.metrics is not None
    checks = {check.metric: check for check in inputs.verdict.checks}
    names = [name for name in metric_names(inputs.task, pr, base, serving) if name != "intervals"]
    rows = []
    for name in names:
        unit = metric_unit(name)
        delta = metric_delta(pr.get(name), base.get(name))
        gate = gate_cell(inputs.rules.get(name), checks.get(name), unit)
        cells = [metric_label(name), code(name)]
        pr_cell = with_interval(pr.get(name), interval_in(pr, name), unit)
        if has_base:
            change, verdict = change_cells(inputs, name, delta, unit)
            cells += [
                value_cell(base.get(name), unit),
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
