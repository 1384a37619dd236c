"""Slices: which regressed (by a corrected test when the models were compared), and all of them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from gitops_ml.comparison import CORRECTION, SliceChange
from gitops_ml.markdown import as_number, code, number, signed, table
from gitops_ml.metric_catalogue import BY_NAME, HIGHER_IS_BETTER, PRIMARY, QUALITY
from gitops_ml.report.cells import change_with_interval
from gitops_ml.report.deltas import metric_delta, slice_deltas, slice_key, worsening
from gitops_ml.report.inputs import TARGET_SUMMARY, ReportInputs, as_mapping

SLICES_SHOWN = 5


def _slice_name(key: tuple[str, str]) -> str:
    return code(f"{key[0]}={key[1]}")


def _rows_cell(old: object, new: object) -> str:
    if number(old) == number(new):
        return number(new)
    return f"{number(old)} → {number(new)}"


def _no_slices(inputs: ReportInputs) -> str:
    if inputs.pr.slices is None:
        return "_No slice metrics._"
    evaluate = as_mapping(as_mapping(inputs.pr.params).get("evaluate"))
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
    ranked = sorted(changes, key=lambda c: (-worsening(metric, c.difference.delta), c.column, c.value))
    how = f"{CORRECTION}-corrected over {len(changes)} slices, at {alpha:g}"
    if regressed:
        intro = f"{len(regressed)} of {len(changes)} slices regressed significantly in {label} ({how}):"
        shown = sorted(regressed, key=lambda c: c.adjusted_p)[:SLICES_SHOWN]
    else:
        intro = f"No slice regressed significantly in {label} ({how}). The largest drops:"
        shown = [c for c in ranked if worsening(metric, c.difference.delta) > 0][:SLICES_SHOWN]
        if not shown:
            return f"No slice got worse in {label} ({len(changes)} slices compared)."
    like = as_mapping(inputs.pr.metrics).get(metric)
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
            key=lambda r: -worsening(metric, r[metric]),
        )
        rows = [
            [_slice_name(slice_key(r)), number(r.get("rows")), number(r.get(metric))] for r in ranked[:SLICES_SHOWN]
        ]
        return "Weakest slices of this PR (no base slices to compare with):\n\n" + table(
            ["slice", "rows", label], rows, "lrr"
        )
    deltas = slice_deltas(inputs.base.slices, pr, metric)
    worse = [item for item in deltas if worsening(metric, item["delta"]) > 0]
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
    base = {slice_key(row): row for row in inputs.base.slices or [] if isinstance(row, Mapping)}
    rows = []
    for row in inputs.pr.slices or []:
        if not isinstance(row, Mapping):
            continue
        before = base.get(slice_key(row), {})
        delta = metric_delta(row.get(metric), before.get(metric))
        rows.append(
            [
                _slice_name(slice_key(row)),
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
