"""Table cells for metrics: labels, units, values with intervals, changes, verdicts and gate rules."""

from __future__ import annotations

from collections.abc import Mapping

from gitops_ml.config import MetricGate
from gitops_ml.gate import MetricCheck
from gitops_ml.markdown import MISSING, as_number, number, signed, signed_interval, signed_size_in_bytes, size_in_bytes
from gitops_ml.metric_catalogue import BY_NAME, CONTEXT_METRICS, HIGHER_IS_BETTER, PRIMARY, TARGET_UNITS
from gitops_ml.uncertainty import Difference

VERDICT_MARK = {"better": "🟢 better", "worse": "🔴 worse", "no significant change": "⚪ no significant change"}


def with_interval(value: object, interval: Mapping, unit: str = "") -> str:
    """0.7407 [0.7371, 0.7443]; the value alone when there is no interval."""
    text = value_cell(value, unit)
    low, high = as_number(interval.get("low")), as_number(interval.get("high"))
    if text == MISSING or low is None or high is None:
        return text
    return f"{text} [{number(low)}, {number(high)}]"


def change_with_interval(difference: Difference, like: object) -> str:
    return signed_interval(difference.delta, difference.low, difference.high, like)


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
        limits.append(f"≥ {limit_text(rule.minimum, unit)}")
    if rule.maximum is not None:
        limits.append(f"≤ {limit_text(rule.maximum, unit)}")
    if check.allowed is not None:
        limits.append(f"tol {limit_text(check.allowed, unit)}")
    status = "✅" if check.passed else "❌"
    return f"{status} {' · '.join(limits)}".strip()


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


def value_cell(value: object, unit: str) -> str:
    if unit == "bytes":
        return size_in_bytes(value)
    text = number(value)
    return f"{text} {unit}" if unit and text != MISSING else text


def limit_text(value: float, unit: str) -> str:
    """Limits as written in params.yaml (0.65, not 0.6500)."""
    if unit == "bytes":
        return size_in_bytes(value)
    text = f"{value:.4g}" if abs(value) < 1e6 else number(value)
    return f"{text} {unit}" if unit else text


def change_text(delta: float | None, unit: str) -> str:
    if unit == "bytes":
        return signed_size_in_bytes(delta)
    text = signed(delta)
    return f"{text} {unit}" if unit and text not in (MISSING, "0") else text
