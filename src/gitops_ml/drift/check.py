"""One drift check, start to finish: read, prepare, compare, decide, write the reports."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from gitops_ml import paths
from gitops_ml.config import PREDICTION_COLUMN, DriftParams
from gitops_ml.drift import DriftInputError, decision, prepare, sources
from gitops_ml.io import read_json, write_json, write_with
from gitops_ml.metric_catalogue import PRIMARY
from gitops_ml.metrics import task_metrics
from gitops_ml.model_card import ModelCard
from gitops_ml.schema import Schema
from gitops_ml.tables import conform_column

if TYPE_CHECKING:
    from sklearn.pipeline import Pipeline

OUT_DIR = Path("build/drift")
SUMMARY_JSON, SUMMARY_MD, REPORT_HTML = "summary.json", "summary.md", "report.html"


@dataclass
class Model:
    pipeline: Pipeline
    card: ModelCard

    @property
    def version(self) -> str | None:
        return self.card.mlflow_run_id


def load_model() -> Model:
    import joblib

    missing = [str(path) for path in (paths.MODEL, paths.MODEL_CARD) if not path.exists()]
    if missing:
        raise DriftInputError(
            f"{', '.join(missing)} missing: run the pipeline first (`make run`), or set drift.prediction: false"
        )
    return Model(joblib.load(paths.MODEL), ModelCard.read(paths.MODEL_CARD))


def score(model: Model, frame: pd.DataFrame, schema: Schema) -> np.ndarray | None:
    """The model's predictions (classification: probabilities) for raw records, or None when the
    records lack a model input."""
    inputs = schema.input_names()
    if any(name not in frame.columns for name in inputs):
        return None
    records = pd.DataFrame({c.name: conform_column(frame[c.name], c) for c in schema.input_columns()})
    if model.card.task == "classification":
        return model.pipeline.predict_proba(records)[:, 1]
    return model.pipeline.predict(records)


def _targets(current: pd.DataFrame, schema: Schema) -> np.ndarray:
    """The current rows' targets as the model learned them (NaN where missing)."""
    values = conform_column(current[schema.target], schema.target_column)
    if schema.task == "classification":
        return np.where(values.isna(), np.nan, (values == schema.positive_label).astype(float))
    return pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)


def max_drop(params: DriftParams, task: str, baseline: float) -> float:
    """params.yaml's allowance, else the task's default: 0.05 (classification) or 10% of the value."""
    if params.performance.max_drop is not None:
        return params.performance.max_drop
    return 0.05 if task == "classification" else 0.1 * abs(baseline)


def _performance(
    model: Model, current: pd.DataFrame, predicted: np.ndarray, params: DriftParams, schema: Schema
) -> dict | None:
    """Quality on current rows that carry the target vs the evaluated model's (reports/metrics.json)."""
    if schema.target not in current.columns or not paths.METRICS.exists():
        return None
    targets = _targets(current, schema)
    known = ~np.isnan(targets)
    if known.sum() < params.min_rows:
        return None
    if schema.task == "classification" and len(np.unique(targets[known])) < 2:
        return None
    metric = params.performance.metric or PRIMARY[schema.task]
    now = task_metrics(schema.task, targets[known], predicted[known], model.card.threshold)[metric]
    baseline = read_json(paths.METRICS).get(metric)
    if baseline is None:
        return None
    return decision.performance_change(metric, now, float(baseline), max_drop(params, schema.task, float(baseline)))


def _with_predictions(
    reference: pd.DataFrame, current: pd.DataFrame, params: DriftParams, schema: Schema, notes: list[str]
) -> tuple[pd.DataFrame, pd.DataFrame, dict | None, str | None]:
    """Add the model's predictions to both tables; also the performance block when labelled."""
    if not params.prediction:
        return reference.drop(columns=[PREDICTION_COLUMN], errors="ignore"), current, None, None
    model = load_model()
    reference = reference.assign(**{PREDICTION_COLUMN: score(model, reference, schema)})
    performance = None
    try:
        current_scores = score(model, current, schema)
    except Exception as error:  # a record the model cannot read: report it, still check the inputs
        current_scores = None
        notes.append(f"the model could not score the current data ({type(error).__name__}: {error})")
    if current_scores is not None:
        performance = _performance(model, current, current_scores, params, schema)
        if PREDICTION_COLUMN not in current.columns:  # logs carry what was served; batches get scored
            current = current.assign(**{PREDICTION_COLUMN: current_scores})
    if PREDICTION_COLUMN not in current.columns:
        notes.append("prediction drift not checked: the current data has neither predictions nor every model input")
    return reference, current, performance, model.version


def run(params: DriftParams, schema: Schema, monitor: str, source: str | None = None, out_dir: Path = OUT_DIR) -> dict:
    """Check, write summary.json, summary.md and report.html under ``out_dir``; return the summary.
    ``monitor`` names the service's inference logs (the project name with underscores)."""
    current = sources.read_current(params, monitor, source)
    summary, snapshot = check_tables(sources.read_reference(), current, params, schema)
    summary["source"] = source or params.source
    _write(summary, snapshot, out_dir)
    return summary


def check_tables(reference_table: sources.Table, current_table: sources.Table, params: DriftParams, schema: Schema):
    """The check on tables in memory; returns (summary, Evidently snapshot or None)."""
    reference_raw = prepare.sample(reference_table.frame, params.max_rows, params.seed)
    current_raw = prepare.sample(current_table.frame, params.max_rows, params.seed)
    notes: list[str] = []
    summary: dict = {
        "checked_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "source": None,
        "reference": {
            "description": reference_table.description,
            "rows": len(reference_table.frame),
            "sampled_rows": len(reference_raw),
        },
        "current": {
            "description": current_table.description,
            "rows": len(current_table.frame),
            "sampled_rows": len(current_raw),
        },
        "params": params.model_dump(),
        "columns": {},
        "all_null": [],
        "prediction": None,
        "performance": None,
        "model_version": None,
        "notes": notes,
    }
    snapshot = None
    if len(current_raw) >= params.min_rows:
        reference_raw, current_raw, summary["performance"], summary["model_version"] = _with_predictions(
            reference_raw, current_raw, params, schema, notes
        )
        reference = prepare.conform(reference_raw, "reference", schema)
        current = prepare.conform(current_raw, "current", schema)
        notes += reference.notes + current.notes
        notes += prepare.unseen_categories(reference.frame, current.frame, schema.drift_columns())
        unusable = set(reference.all_null) | set(current.all_null)
        compared = [column.name for column in schema.drift_columns() if column.name not in unusable]
        summary["all_null"] = [name for name in current.all_null if name not in reference.all_null]
        for name in reference.all_null:
            notes.append(f"{name} is not compared: the reference has no values for it")
        if compared:
            categorical = [c.name for c in schema.drift_columns() if c.kind == "category"]
            results, snapshot = _compare(reference.frame, current.frame, compared, categorical, params)
            summary["prediction"] = results.pop(PREDICTION_COLUMN, None)
            summary["columns"] = results
    elif len(current_raw):
        prepare.conform(current_raw, "current", schema)  # still name a broken schema, even on a small batch
    summary["decision"] = decision.decide(summary, params)
    return summary, snapshot


def _compare(
    reference: pd.DataFrame, current: pd.DataFrame, compared: list[str], categorical: list[str], params: DriftParams
):
    from gitops_ml.drift import engine  # Evidently takes seconds to import: only when comparing

    return engine.compare(reference, current, compared, params, categorical)


def _write(summary: dict, snapshot, out_dir: Path) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    report = out_dir / REPORT_HTML
    if snapshot is not None:
        write_with(report, lambda tmp: snapshot.save_html(str(tmp)))
    elif report.exists():
        report.unlink()  # never leave an older run's report next to this run's summary
    write_json(out_dir / SUMMARY_JSON, summary)
    write_with(out_dir / SUMMARY_MD, lambda tmp: tmp.write_text(decision.render_markdown(summary)))
