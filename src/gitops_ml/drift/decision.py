"""Decide, and say why. Pure functions: plain dicts in, plain dicts and markdown out.

A run's *summary* (written to summary.json) holds what was compared and the per-column results:

    {"current": {"rows": 82798, ...}, "reference": {...},
     "columns": {"temp": {"method": "...", "threshold": 0.1, "score": 1.18, "drifted": true}, ...},
     "all_null": ["wind_gust"],          # drift columns with no value at all in the current data
     "prediction": {...} | None,         # the predicted probability, compared like a column
     "performance": {...} | None,        # when the current data has labels
     "notes": [...]}

``decide`` turns it into the decision. Status is one of:
- ``drift``: the share of drifted columns reached ``drift_share``, or the predictions drifted,
  or performance dropped by more than allowed;
- ``no_drift``;
- ``insufficient_data``: fewer current rows than ``min_rows``; nothing is concluded.
"""

from __future__ import annotations

from gitops_ml.config import DriftParams
from gitops_ml.markdown import table
from gitops_ml.metric_catalogue import HIGHER_IS_BETTER

DRIFT, NO_DRIFT, INSUFFICIENT = "drift", "no_drift", "insufficient_data"
ALL_NULL_METHOD = "all values missing"


def performance_change(metric: str, current: float, baseline: float, max_drop: float) -> dict:
    """How much worse ``metric`` got; drifted when it worsened by more than ``max_drop``."""
    worsening = baseline - current if HIGHER_IS_BETTER[metric] else current - baseline
    return {
        "metric": metric,
        "baseline": baseline,
        "current": current,
        "worsening": worsening,
        "max_drop": max_drop,
        "drifted": bool(worsening > max_drop),
    }


def decide(summary: dict, params: DriftParams) -> dict:
    rows = summary["current"]["rows"]
    if rows < params.min_rows:
        return {
            "status": INSUFFICIENT,
            "reasons": [f"only {rows} current row(s); drift.min_rows asks for {params.min_rows} to decide"],
            "drifted_columns": [],
            "compared_columns": 0,
            "share": None,
            "drift_share": params.drift_share,
            "dataset_drift": False,
            "prediction_drift": False,
            "performance_drift": False,
        }
    columns = summary["columns"]
    all_null = list(summary.get("all_null", []))
    # A column with no values in production is a dead feed: counted as drifted, never silently skipped.
    drifted = [name for name, result in columns.items() if result["drifted"]] + all_null
    compared = len(columns) + len(all_null)
    share = len(drifted) / compared if compared else 0.0
    dataset_drift = compared > 0 and share >= params.drift_share
    prediction: dict = summary.get("prediction") or {}  # absent: not compared
    prediction_drift = bool(prediction and prediction["drifted"])
    performance: dict = summary.get("performance") or {}  # absent: not compared
    performance_drift = bool(performance and performance["drifted"])

    reasons = []
    if dataset_drift:
        reasons.append(
            f"{len(drifted)} of {compared} columns drifted ({share:.0%} >= drift_share {params.drift_share:.0%}): "
            + ", ".join(drifted)
        )
    if prediction_drift:
        reasons.append(f"the predicted probabilities drifted (score {prediction['score']:.3g})")
    if performance_drift:
        reasons.append(
            f"{performance['metric']} fell from {performance['baseline']:.4g} to {performance['current']:.4g} "
            f"(more than the allowed {performance['max_drop']:.4g})"
        )
    return {
        "status": DRIFT if reasons else NO_DRIFT,
        "reasons": reasons,
        "drifted_columns": drifted,
        "compared_columns": compared,
        "share": share,
        "drift_share": params.drift_share,
        "dataset_drift": dataset_drift,
        "prediction_drift": prediction_drift,
        "performance_drift": performance_drift,
    }


HEADLINES = {
    DRIFT: "Drift detected",
    NO_DRIFT: "No drift",
    INSUFFICIENT: "Not enough data to decide",
}
ICONS = {DRIFT: ":warning:", NO_DRIFT: ":white_check_mark:", INSUFFICIENT: ":hourglass:"}


def _number(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.4g}"


def _rows(part: dict) -> str:
    sampled = part.get("sampled_rows")
    text = f"{part['rows']:,} rows"
    return text + (f", sampled to {sampled:,}" if sampled is not None and sampled < part["rows"] else "")


def render_markdown(summary: dict, report_url: str | None = None) -> str:
    decision = summary["decision"]
    status = decision["status"]
    lines = [
        f"## {ICONS[status]} Drift check: {HEADLINES[status]}",
        "",
        f"- **Current**: {summary['current']['description']} ({_rows(summary['current'])})",
        f"- **Reference**: {summary['reference']['description']} ({_rows(summary['reference'])})",
        f"- **Checked**: {summary['checked_at']}",
    ]
    if report_url:
        lines.append(f"- **Full report**: {report_url}")
    lines.append("")
    if decision["reasons"]:
        lines += ["**Why:**", ""] + [f"- {reason}" for reason in decision["reasons"]] + [""]
    if status != INSUFFICIENT:
        lines += [
            f"{len(decision['drifted_columns'])} of {decision['compared_columns']} columns drifted "
            f"({decision['share']:.0%}; dataset drift from {decision['drift_share']:.0%}).",
            "",
        ]
        results = dict(summary["columns"])
        results.update({name: {"method": ALL_NULL_METHOD, "drifted": True} for name in summary.get("all_null", [])})
        if summary.get("prediction"):
            results["prediction (model output)"] = summary["prediction"]
        ordered = sorted(results.items(), key=lambda item: (not item[1]["drifted"], item[0]))
        rows = [
            [
                name,
                "**yes**" if result["drifted"] else "no",
                _number(result.get("score")),
                _number(result.get("threshold")),
                result.get("method") or "",
            ]
            for name, result in ordered
        ]
        lines += [table(["Column", "Drift", "Score", "Threshold", "Method"], rows, "llrrl"), ""]
        performance = summary.get("performance")
        if performance:
            lines += [
                f"Performance on labelled current data: {performance['metric']} {performance['current']:.4g} "
                f"vs {performance['baseline']:.4g} at evaluation (allowed drop {performance['max_drop']:.4g}): "
                + ("**dropped**" if performance["drifted"] else "ok"),
                "",
            ]
    if summary.get("notes"):
        lines += ["**Notes:**", ""] + [f"- {note}" for note in summary["notes"]] + [""]
    return "\n".join(lines)
