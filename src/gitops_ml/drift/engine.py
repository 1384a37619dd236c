"""Evidently 0.7 does the statistics; this module only translates.

One ``Report`` holds a ``DataDriftPreset`` over the schema's drift columns (its HTML is the report
users open) and, when predictions are compared, a ``ValueDrift`` on the predicted probability.
Per-column tests are on (``include_tests=True``) because that is where Evidently says whether a
column drifted: a p-value method drifts *below* its threshold, a distance *above* it, and the test
status already knows which. The snapshot is turned into plain dicts for the pure decision.
"""

from __future__ import annotations

import warnings
from typing import Any

import pandas as pd

from gitops_ml.config import PREDICTION_COLUMN, DriftParams
from gitops_ml.drift import DriftInputError


def _definition(columns: list[str], frame: pd.DataFrame, categorical: list[str] | None):
    """Categorical by the schema's kinds; without them (benchmarks) by dtype."""
    from evidently import DataDefinition

    if categorical is None:
        categorical = [name for name in columns if not pd.api.types.is_numeric_dtype(frame[name])]
    categorical = [name for name in columns if name in categorical]
    numerical = [name for name in columns if name not in categorical]
    return DataDefinition(numerical_columns=numerical, categorical_columns=categorical)


def _report(feature_columns: list[str], compare_prediction: bool, params: DriftParams):
    from evidently import Report
    from evidently.metrics import ValueDrift
    from evidently.presets import DataDriftPreset

    overrides = {name: override for name, override in params.columns.items() if name in feature_columns}
    metrics: list[Any] = [
        DataDriftPreset(
            columns=feature_columns,
            drift_share=params.drift_share,
            method=params.method,
            threshold=params.threshold,
            per_column_method={name: o.method for name, o in overrides.items() if o.method} or None,
            per_column_threshold={name: o.threshold for name, o in overrides.items() if o.threshold} or None,
        )
    ]
    if compare_prediction:
        override = params.columns.get(PREDICTION_COLUMN)
        metrics.append(
            ValueDrift(
                column=PREDICTION_COLUMN,
                method=(override.method if override and override.method else params.method),
                threshold=(override.threshold if override and override.threshold else params.threshold),
            )
        )
    return Report(metrics, include_tests=True)


def column_results(snapshot_dict: dict) -> dict[str, dict]:
    """Per column: method, threshold, score and drifted, from a snapshot's ``dict()``."""
    drifted_by_metric = {
        test["metric_config"]["metric_id"]: test["status"] != "SUCCESS"
        for test in snapshot_dict.get("tests", [])
        if test.get("metric_config", {}).get("params", {}).get("type", "").endswith(":ValueDrift")
    }
    results = {}
    for metric in snapshot_dict["metrics"]:
        config = metric["config"]
        if not config["type"].endswith(":ValueDrift"):
            continue
        results[config["column"]] = {
            "method": config.get("method"),
            "threshold": config.get("threshold"),
            "score": float(metric["value"]),
            "drifted": drifted_by_metric[metric["id"]],
        }
    return results


def compare(
    reference: pd.DataFrame,
    current: pd.DataFrame,
    feature_columns: list[str],
    params: DriftParams,
    categorical: list[str] | None = None,
):
    """Run Evidently; returns (results per column, snapshot). The prediction is compared when
    both tables carry it. ``categorical``: the schema's category columns (None: by dtype)."""
    from evidently import Dataset

    compare_prediction = PREDICTION_COLUMN in reference.columns and PREDICTION_COLUMN in current.columns
    columns = feature_columns + ([PREDICTION_COLUMN] if compare_prediction else [])
    definition = _definition(columns, reference, categorical)
    report = _report(feature_columns, compare_prediction, params)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Evidently warns per column about dtype inference; we set the types
        try:
            snapshot = report.run(
                Dataset.from_pandas(current[columns], data_definition=definition),
                Dataset.from_pandas(reference[columns], data_definition=definition),
            )
        except ValueError as error:  # e.g. an unknown method name in params.yaml drift.*
            raise DriftInputError(f"Evidently cannot compare the data: {error}") from None
    return column_results(snapshot.dict()), snapshot
