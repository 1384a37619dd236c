"""The first lines: the gate's verdict, and the note a first pull request gets."""

from __future__ import annotations

from gitops_ml.gate import Verdict
from gitops_ml.markdown import code


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
