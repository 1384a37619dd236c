"""What a report is rendered from: one revision's results, and everything else the comment shows."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from gitops_ml.comparison import Comparison
from gitops_ml.config import MetricGate
from gitops_ml.gate import Verdict
from gitops_ml.metric_catalogue import QUALITY

TASKS = tuple(QUALITY)  # classification, regression

# The catalogue's unit for numbers in the target's own units: named once under the table, not in every cell.
# How each task summarises the target: its key in slices.json rows, its key in split.json, and the word.
TARGET_SUMMARY = {
    "classification": ("positive_rate", "target_rate", "rate"),
    "regression": ("target_mean", "target_mean", "mean"),
}


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


def as_mapping(value: object) -> Mapping:
    """A JSON object, or an empty one for anything else a hand-edited file might hold."""
    return value if isinstance(value, Mapping) else {}
