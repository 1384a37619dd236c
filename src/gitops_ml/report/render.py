"""The whole comment, in order, and the verdict file beside it."""

from __future__ import annotations

from gitops_ml.comparison import metric_verdict
from gitops_ml.markdown import code, details
from gitops_ml.report.inputs import ReportInputs, as_mapping
from gitops_ml.report.sections.changes import data_details, data_summary, params_section
from gitops_ml.report.sections.curves import CURVES_TITLE, curves_section
from gitops_ml.report.sections.details import (
    FEATURES_SHOWN,
    confusion_table,
    figures_section,
    importance_table,
    links_section,
)
from gitops_ml.report.sections.metrics import metrics_table
from gitops_ml.report.sections.slices import all_slices_table, slices_section
from gitops_ml.report.sections.verdict import first_pr_note, verdict_line


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
            verdict = metric_verdict(difference, inputs.rules, as_mapping(inputs.base.metrics).get(name))
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
