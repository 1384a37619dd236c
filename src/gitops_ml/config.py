"""params.yaml, loaded once into a typed, frozen object.

An unknown key, a misspelt key or a value of the wrong type is an error that names the key:
a typo in a hyperparameter must not silently train with the default.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from gitops_ml.metric_catalogue import PRIMARY, check_names

if TYPE_CHECKING:
    from gitops_ml.schema import Schema

PARAMS_FILE = Path("params.yaml")

Fraction = Annotated[float, Field(gt=0, le=1)]


class Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ProjectParams(Frozen):
    # Names the BentoML service, model and Bento, the MLflow experiment and registered model, the
    # image and the inference-log monitor. Lower case, digits and dashes: valid everywhere.
    name: str = Field("model", pattern=r"^[a-z][a-z0-9-]{0,48}[a-z0-9]$")

    @property
    def identifier(self) -> str:
        """The name where dashes are not allowed (the inference-log monitor)."""
        return self.name.replace("-", "_")


class DataParams(Frozen):
    # The table: a CSV or parquet file, a local path or an fsspec URL (s3://, gs://, https://...),
    # or `example:<name>` for a bundled worked example (src/gitops_ml/examples/<name>.py).
    source: str = Field(min_length=1)
    format: Literal["csv", "parquet"] | None = None  # None = from the file name's extension
    options: dict[str, Any] = {}  # passed to a bundled example's loader
    sample_fraction: Fraction = 1.0  # share of the rows ingested (tests use a small sample)
    seed: int = 42


class Window(Frozen):
    """A half-open time window [start, end)."""

    start: dt.date
    end: dt.date

    @model_validator(mode="after")
    def _ordered(self) -> Window:
        if self.end <= self.start:
            raise ValueError(f"end ({self.end}) must be after start ({self.start})")
        return self


class Fractions(Frozen):
    """Shares of the rows for a split without time (seeded; stable per key when the schema has one)."""

    train: Fraction = 0.7
    test: Fraction = 0.15
    production: float = Field(0.15, ge=0, lt=1)

    @model_validator(mode="after")
    def _sum(self) -> Fractions:
        total = self.train + self.test + self.production
        if abs(total - 1) > 1e-9:
            raise ValueError(f"train + test + production must be 1, not {total:g}")
        return self


class SplitParams(Frozen):
    # time: windows of the schema's timestamp (the model is tested on a later period, as in
    # production). random: seeded fractions, for tables without time; the drift reference is then
    # the test rows.
    by: Literal["time", "random"] = "time"
    train: Window | None = None
    test: Window | None = None
    reference: Window | None = None  # what the drift check compares production data with
    production: Window | None = None  # a later period kept aside as the default "production" batch
    fractions: Fractions = Fractions()
    seed: int = 42

    @model_validator(mode="after")
    def _windows(self) -> SplitParams:
        windows = {name: getattr(self, name) for name in ("train", "test", "reference", "production")}
        if self.by == "time":
            missing = [name for name, window in windows.items() if window is None]
            if missing:
                raise ValueError(f"split by time needs the window(s) {missing}")
            if self.test.start < self.train.end:  # type: ignore[union-attr]
                raise ValueError("test window must start after the train window ends (no look-ahead)")
        return self


class ValidateParams(Frozen):
    min_rows: int = Field(1000, ge=1)


class HistGradientBoosting(Frozen):
    learning_rate: float = Field(0.1, gt=0)
    max_iter: int = Field(200, ge=1)
    max_leaf_nodes: int = Field(31, ge=2)
    min_samples_leaf: int = Field(20, ge=1)
    l2_regularization: float = Field(0.0, ge=0)


class LogisticRegression(Frozen):
    C: float = Field(1.0, gt=0)
    max_iter: int = Field(1000, ge=1)


class RandomForest(Frozen):
    n_estimators: int = Field(200, ge=1)
    max_depth: int | None = Field(12, ge=1)
    min_samples_leaf: int = Field(20, ge=1)


ModelType = Literal["hist_gradient_boosting", "linear", "random_forest"]


class TrainParams(Frozen):
    # Each model exists for both tasks: linear is a logistic regression for classification and a
    # ridge regression (alpha = 1 / C) for regression.
    model: ModelType = "hist_gradient_boosting"
    seed: int = 42
    # Classification: the probability at or above which the positive class is predicted; stored
    # with the model so the service and the evaluation use the same cut.
    threshold: Fraction = 0.5
    hist_gradient_boosting: HistGradientBoosting = HistGradientBoosting()
    linear: LogisticRegression = LogisticRegression()
    random_forest: RandomForest = RandomForest()

    def hyperparameters(self) -> dict:
        return getattr(self, self.model).model_dump()


class IntervalParams(Frozen):
    """Intervals on the test rows (uncertainty.py): the level and the bootstrap's resamples and seed."""

    level: float = Field(0.95, gt=0, lt=1)
    resamples: int = Field(1000, ge=100)
    seed: int = 0


class EvaluateParams(Frozen):
    # Metrics per value of these columns: category inputs, or time features (<timestamp>_month, ...).
    slices: tuple[str, ...] = ()
    min_slice_rows: int = Field(100, ge=1)
    importance_rows: int = Field(5000, ge=100)  # rows used for permutation importance
    latency_repeats: int = Field(200, ge=10)
    intervals: IntervalParams = IntervalParams()


class MetricGate(Frozen):
    minimum: float | None = None  # absolute floor, checked even without a baseline
    maximum: float | None = None  # absolute ceiling (for lower-is-better metrics)
    abs_tolerance: float = Field(0.0, ge=0)  # allowed worsening vs the baseline, in metric units
    rel_tolerance: float = Field(0.0, ge=0)  # allowed worsening as a fraction of the baseline
    # False: only the limits apply. For numbers that depend on the machine (latency): the base
    # branch's were measured on another runner, so a comparison would gate on hardware, not code.
    vs_baseline: bool = True
    # A worsening beyond the tolerance fails only if it is also significant at this level: the
    # base's and this PR's models compared on the test rows (paired when both scored the same rows).
    # null: the point delta alone decides, as for metrics without an interval (size, latency).
    significance: float | None = Field(0.05, gt=0, lt=1)

    def tolerance(self, baseline: float) -> float:
        """How much worse than ``baseline`` is allowed: also the smallest change the verdicts call real."""
        return max(self.abs_tolerance, self.rel_tolerance * abs(baseline))


class GateParams(Frozen):
    metrics: dict[str, MetricGate]
    # A slice is flagged as regressed when its drop is significant at this level after the
    # Benjamini-Hochberg correction over all slices compared (reported, not gated).
    slice_significance: float = Field(0.05, gt=0, lt=1)

    @model_validator(mode="after")
    def _known_metrics(self) -> GateParams:
        unknown = check_names(set(self.metrics))
        if unknown:
            raise ValueError(f"unknown metric(s) {unknown} (src/gitops_ml/metric_catalogue.py lists them)")
        return self


class TrackingParams(Frozen):
    experiment_name: str | None = None  # None = project.name


class ColumnDriftParams(Frozen):
    """How one column is compared. None = Evidently's choice for the column's type and sample size."""

    method: str | None = None  # an Evidently stat test name: ks, chisquare, wasserstein, jensenshannon, psi, ...
    threshold: float | None = Field(None, gt=0)


class LogsParams(Frozen):
    # What the service's `bentoml.monitor` writes: <path>/<monitor>/data/data.<worker>.log (JSON lines).
    path: str = "monitoring"


class PerformanceDriftParams(Frozen):
    """Checked only when the current data carries the target."""

    metric: str | None = None  # a quality metric of the task; None = the task's primary (roc_auc, rmse)
    # Allowed worsening vs the evaluated model (reports/metrics.json), in the metric's units;
    # None = 0.05 for classification, 10% of the evaluated value for regression.
    max_drop: float | None = Field(None, ge=0)

    @model_validator(mode="after")
    def _known_metric(self) -> PerformanceDriftParams:
        if self.metric is not None and check_names([self.metric]):
            raise ValueError(f"unknown metric {self.metric!r} (src/gitops_ml/metric_catalogue.py lists them)")
        return self


class DriftParams(Frozen):
    # "production" (the split stage's production window), "logs" (the service's inference logs),
    # or a parquet/CSV file: a local path or an fsspec URL (s3://, gs://, https://...).
    source: str = "production"
    logs: LogsParams = LogsParams()
    drift_share: Fraction = 0.5  # dataset drift when at least this share of the compared columns drifted
    method: str | None = None  # one method for every column; None = Evidently's default per column
    threshold: float | None = Field(None, gt=0)  # one threshold for every column; None = the method's default
    columns: dict[str, ColumnDriftParams] = {}  # per-column overrides of method/threshold
    min_rows: int = Field(500, ge=1)  # fewer current rows than this: no decision ("insufficient_data")
    max_rows: int = Field(50_000, ge=1000)  # larger inputs are sampled (seeded) to this many rows per side
    seed: int = 42
    prediction: bool = True  # also compare the model's predicted probabilities (prediction drift)
    performance: PerformanceDriftParams = Field(default_factory=PerformanceDriftParams)

    @model_validator(mode="after")
    def _rows(self) -> DriftParams:
        if self.min_rows > self.max_rows:
            raise ValueError(f"min_rows ({self.min_rows}) must not exceed max_rows ({self.max_rows})")
        return self


# The model's prediction (classification: the positive class's probability), compared like a
# column when drift.prediction is on.
PREDICTION_COLUMN = "prediction"


class Params(Frozen):
    project: ProjectParams = ProjectParams()
    data: DataParams
    split: SplitParams
    validate_: ValidateParams = Field(ValidateParams(), alias="validate")
    train: TrainParams = TrainParams()
    evaluate: EvaluateParams = EvaluateParams()
    gate: GateParams
    tracking: TrackingParams = TrackingParams()
    drift: DriftParams = Field(default_factory=DriftParams)

    @property
    def experiment_name(self) -> str:
        return self.tracking.experiment_name or self.project.name

    def performance_metric(self, task: str) -> str:
        return self.drift.performance.metric or PRIMARY[task]

    def check_against(self, schema: Schema) -> None:
        """What params.yaml says that the schema contradicts; ConfigError naming the key."""
        problems = []
        wrong_task = check_names(set(self.gate.metrics), schema.task)
        if wrong_task:
            problems.append(f"gate.metrics: {wrong_task} do not apply to a {schema.task} task")
        if self.drift.performance.metric and check_names([self.drift.performance.metric], schema.task):
            metric = self.drift.performance.metric
            problems.append(f"drift.performance.metric: {metric!r} is not a {schema.task} metric")
        if self.split.by == "time" and not schema.timestamp:
            problems.append("split.by: time needs a timestamp in schema.yaml (or use split.by: random)")
        compared = {column.name for column in schema.drift_columns()} | {PREDICTION_COLUMN}
        unknown = sorted(set(self.drift.columns) - compared)
        if unknown:
            problems.append(f"drift.columns: unknown column(s) {unknown}; compared: {sorted(compared)}")
        sliceable = schema.slice_columns()
        unknown = sorted(set(self.evaluate.slices) - set(sliceable))
        if unknown:
            problems.append(f"evaluate.slices: unknown column(s) {unknown}; choose from {sliceable}")
        if problems:
            raise ConfigError("params.yaml does not fit schema.yaml:\n" + "\n".join(f"  {p}" for p in problems))


class ConfigError(ValueError):
    """params.yaml is unreadable or does not match the expected structure."""


def parse_params(raw: object, source: str = "params.yaml") -> Params:
    try:
        return Params.model_validate(raw)
    except ValidationError as error:
        lines = [f"{source} is invalid:"]
        for problem in error.errors():
            where = ".".join(str(part) for part in problem["loc"]) or "(top level)"
            message = "unknown key (misspelt?)" if problem["type"] == "extra_forbidden" else problem["msg"]
            lines.append(f"  {where}: {message}")
        raise ConfigError("\n".join(lines)) from None


def load_params(path: Path | str = PARAMS_FILE) -> Params:
    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as error:
        raise ConfigError(f"cannot read {path}: {error}") from None
    return parse_params(raw, source=str(path))


def main(argv: list[str] | None = None) -> int:
    """``python -m gitops_ml.config get project.name``: one value of the checked params, for
    the Makefile and the workflows (which never parse params.yaml themselves)."""
    import argparse
    import sys

    parser = argparse.ArgumentParser(prog="python -m gitops_ml.config", description=main.__doc__)
    parser.add_argument("command", choices=["get"])
    parser.add_argument("key", help="a dotted key, e.g. project.name")
    parser.add_argument("--params", type=Path, default=PARAMS_FILE)
    args = parser.parse_args(argv)
    try:
        value: Any = load_params(args.params)
        for part in args.key.split("."):
            value = getattr(value, "validate_" if part == "validate" else part)
    except ConfigError as error:
        print(f"config: {error}", file=sys.stderr)
        return 2
    except AttributeError:
        print(f"config: no key {args.key!r} in {args.params}", file=sys.stderr)
        return 2
    print(value)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
