"""Folded details: confusion matrix, feature importance, figures and links."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import PurePosixPath

from gitops_ml.markdown import MISSING, as_number, code, details, fixed, number, signed, signed_fixed, table
from gitops_ml.report.cells import primary_label
from gitops_ml.report.deltas import metric_delta
from gitops_ml.report.inputs import ReportInputs

FEATURES_SHOWN = 10


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
            delta = metric_delta(new, old)
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
            signed_fixed(metric_delta(value, base_value.get(feature))),
            base_rank.get(feature, MISSING),
        ]
        for rank, (feature, value) in enumerate(pr[:FEATURES_SHOWN], start=1)
    ]
    return (
        table(["#", "feature", "PR", "base", "Δ", "base rank"], rows, "rlrrrr")
        + f"\n\nPermutation importance: worsening of {primary_label(inputs.task)} when the feature is shuffled."
    )


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
