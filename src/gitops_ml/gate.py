"""Quality gate: compare current metrics with absolute limits and a baseline, per metric.

    python -m gitops_ml.gate                       # floors only
    python -m gitops_ml.gate --baseline-rev main   # and no worse than main, within tolerance
    python -m gitops_ml.gate --baseline old.json   # or than a metrics file

Rules live in params.yaml under ``gate.metrics``; which way is better comes from
``metric_catalogue.py``. A metric may get worse than the baseline by at
most ``max(abs_tolerance, rel_tolerance * |baseline|)``; with ``significance`` set (the default,
0.05), a worsening fails only when the test rows show it *significantly beyond* that tolerance
(a non-inferiority test with the tolerance as margin; the comparison of the two models is in
comparison.py, paired when both scored the same rows). A seed-only change moves metrics by
about the noise and passes; a real regression is beyond the tolerance and beyond the noise.
Without a comparison (the base has no intervals), the point delta decides, as with
``significance: null``. With no baseline (the first pull request,
or a base branch that has never produced metrics) only the limits apply, and the verdict says so.
Prints a markdown verdict; exits 1 when the gate fails, 2 on a usage error.
"""

from __future__ import annotations

import argparse
import json
import math
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeGuard

from gitops_ml import paths, scored_rows
from gitops_ml.comparison import Comparison, Side, compare
from gitops_ml.config import ConfigError, MetricGate, Params, load_params
from gitops_ml.io import read_json
from gitops_ml.metric_catalogue import HIGHER_IS_BETTER, Task, task_of
from gitops_ml.uncertainty import Difference

EPSILON = 1e-12  # metrics are rounded to 6 digits; never fail on float noise at the boundary


@dataclass(frozen=True)
class MetricCheck:
    metric: str
    current: float | None
    baseline: float | None
    allowed: float | None  # how much worse than the baseline is tolerated
    failures: tuple[str, ...] = ()
    difference: Difference | None = None  # the comparison of the two models, when there is one
    excused: str | None = None  # why a worsening beyond the tolerance did not fail (not significant)

    @property
    def passed(self) -> bool:
        return not self.failures

    @property
    def delta(self) -> float | None:
        if _finite(self.current) and _finite(self.baseline):
            return self.current - self.baseline
        return None


@dataclass(frozen=True)
class Verdict:
    checks: tuple[MetricCheck, ...]
    notes: tuple[str, ...] = field(default=())

    @property
    def passed(self) -> bool:
        return all(check.passed for check in self.checks)

    @property
    def reasons(self) -> list[str]:
        return [reason for check in self.checks for reason in check.failures]

    def headline(self) -> str:
        if self.passed:
            return "✅ Quality gate passed" + (f" ({self.notes[0]})" if self.notes else "")
        return "❌ Quality gate failed: " + "; ".join(self.reasons)


def _finite(value: object) -> TypeGuard[int | float]:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    try:
        return math.isfinite(value)
    except OverflowError:  # a JSON integer beyond float range
        return False


def _number(value: object) -> float | None:
    return float(value) if _finite(value) else None


def _significance(rule: MetricGate, difference: Difference | None, allowed: float) -> tuple[bool, str]:
    """Whether a worsening beyond the tolerance counts (it is significantly beyond it), and why."""
    p_value = difference.p_value(allowed) if difference is not None else float("nan")
    if rule.significance is None or difference is None or not math.isfinite(p_value):
        return True, ""
    significant = difference.verdict(rule.significance, allowed) == "worse"
    words = "significant" if significant else "not significant"
    return significant, f"p={p_value:.2g} beyond the tolerance, {words} at {rule.significance:g}"


def check_metric(
    name: str, rule: MetricGate, current: dict, baseline: dict, difference: Difference | None = None
) -> MetricCheck:
    if name not in current:
        return MetricCheck(name, None, _number(baseline.get(name)), None, (f"{name} is missing from the metrics",))
    value = _number(current[name])
    base = _number(baseline.get(name))
    if value is None:
        return MetricCheck(name, None, base, None, (f"{name} is not a finite number ({current[name]!r})",))

    failures = []
    if rule.minimum is not None and value < rule.minimum - EPSILON:
        failures.append(f"{name} {value:g} is below the floor {rule.minimum:g}")
    if rule.maximum is not None and value > rule.maximum + EPSILON:
        failures.append(f"{name} {value:g} is above the ceiling {rule.maximum:g}")

    allowed, excused = None, None
    if base is not None and rule.vs_baseline:
        allowed = rule.tolerance(base)
        worsening = base - value if HIGHER_IS_BETTER[name] else value - base
        if worsening > allowed + EPSILON:
            counts, why = _significance(rule, difference, allowed)
            change = f"{name} got worse by {worsening:.4g} vs base ({base:g} → {value:g}, allowed {allowed:.4g}"
            if counts:
                failures.append(change + (f"; {why})" if why else ")"))
            else:
                excused = change + f"; {why})"
    return MetricCheck(name, value, base, allowed, tuple(failures), difference, excused)


def evaluate_gate(
    current: dict, baseline: dict | None, rules: dict[str, MetricGate], comparison: Comparison | None = None
) -> Verdict:
    notes = []
    if baseline is None:
        notes.append("no baseline metrics: checked against absolute limits only")
        baseline = {}
    differences = comparison.differences if comparison is not None else {}
    checks = tuple(check_metric(name, rule, current, baseline, differences.get(name)) for name, rule in rules.items())
    excused = [check.excused for check in checks if check.excused]
    if excused:
        notes.append("within noise: " + "; ".join(excused))
    new = [c.metric for c in checks if c.current is not None and c.baseline is None and baseline]
    if new:
        notes.append(f"not in the baseline, limits only: {', '.join(new)}")
    return Verdict(checks, tuple(notes))


def _cell(value: float | None) -> str:
    return "—" if value is None else f"{value:.4g}"


def render_markdown(verdict: Verdict) -> str:
    lines = [f"**{verdict.headline()}**", ""]
    lines += [f"> {note}" for note in verdict.notes]
    if verdict.notes:
        lines.append("")
    lines += ["| metric | base | current | Δ | tolerance | result |", "|---|---:|---:|---:|---:|:---:|"]
    for check in verdict.checks:
        result = "✅" if check.passed else "❌"
        delta = "—" if check.delta is None else f"{check.delta:+.4g}"
        lines.append(
            f"| {check.metric} | {_cell(check.baseline)} | {_cell(check.current)} | {delta} "
            f"| {_cell(check.allowed)} | {result} |"
        )
    return "\n".join(lines) + "\n"


class BaselineError(RuntimeError):
    pass


def metrics_at_revision(revision: str, metrics_path: Path = paths.METRICS) -> dict | None:
    """Metrics committed at ``revision``; None when that revision has none (a first PR)."""
    known = subprocess.run(
        ["git", "rev-parse", "--verify", "--quiet", f"{revision}^{{commit}}"], capture_output=True, text=True
    )
    if known.returncode != 0:
        raise BaselineError(f"unknown git revision {revision!r} (is it fetched?)")
    shown = subprocess.run(["git", "show", f"{revision}:{metrics_path.as_posix()}"], capture_output=True, text=True)
    if shown.returncode != 0:
        return None
    return json.loads(shown.stdout)


def compare_with_revision(
    revision: str,
    params: Params,
    current: dict,
    baseline: dict | None,
    task: Task,
    slices: tuple[list, list] = ([], []),
) -> Comparison:
    """This checkout's model against ``revision``'s: paired on the scored test rows when both have them."""
    level = params.evaluate.intervals
    if baseline is None:
        return compare(task, Side(current), None, level.level, level.resamples, level.seed)
    base_rows, why = scored_rows.read_at(revision, paths.PREDICTIONS)
    pr = Side(current, slices[0], scored_rows.read(paths.PREDICTIONS))
    base = Side(baseline, slices[1], base_rows)
    return compare(task, pr, base, level.level, level.resamples, level.seed, why)


def load_baseline(file: Path | None, revision: str | None) -> dict | None:
    if file is not None:
        return json.loads(file.read_text()) if file.exists() else None
    if revision is not None:
        return metrics_at_revision(revision)
    return None


def main(argv: list[str] | None = None) -> int:
    # pragma: no mutate start (argument declarations: help texts; the options' effects are tested)
    parser = argparse.ArgumentParser(prog="python -m gitops_ml.gate", description=__doc__.split("\n")[0])
    parser.add_argument("--metrics", type=Path, default=paths.METRICS, help="current metrics (JSON)")
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--baseline", type=Path, help="baseline metrics file; a missing file means no baseline")
    source.add_argument("--baseline-rev", help="git revision whose committed metrics are the baseline")
    parser.add_argument("--params", type=Path, default=Path("params.yaml"))
    parser.add_argument("--markdown", type=Path, help="also write the verdict to this file")
    # pragma: no mutate end
    args = parser.parse_args(argv)

    try:
        params = load_params(args.params)
        current = json.loads(args.metrics.read_text())
        baseline = load_baseline(args.baseline, args.baseline_rev)
    except (ConfigError, BaselineError, OSError, json.JSONDecodeError) as error:
        print(f"gate: {error}", file=sys.stderr)
        return 2
    comparison = None
    if args.baseline_rev is not None:
        card = read_json(paths.MODEL_CARD) if paths.MODEL_CARD.is_file() else None
        task = task_of(card, None, current)
        comparison = compare_with_revision(args.baseline_rev, params, current, baseline, task)
    verdict = evaluate_gate(current, baseline, params.gate.metrics, comparison)
    markdown = render_markdown(verdict)
    print(markdown, end="")
    if args.markdown:
        args.markdown.parent.mkdir(parents=True, exist_ok=True)
        args.markdown.write_text(markdown)
    return 0 if verdict.passed else 1


if __name__ == "__main__":
    sys.exit(main())
