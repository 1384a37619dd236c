"""The fitted pipeline's inference on column-wise values, without pandas: what the service runs.

``model.build_pipeline`` fits time features -> a ``ColumnTransformer`` -> an estimator. Scoring it
as fitted costs a DataFrame and the ``ColumnTransformer``'s pandas work per call: ~10 ms for one
row, most of a 1000-row batch, while the trees themselves cost well under a millisecond.
``ArrayPipeline.compile`` reads the fitted steps once (the encoders' categories and codes, the
imputer's statistics, the scaler's means and scales) and rebuilds the estimator's input matrix
with numpy and dict look-ups, then calls the fitted estimator on that float matrix. The matrix is
the one the ``ColumnTransformer`` would produce, column for column, so tree models answer bit
for bit as the pipeline does (the linear model within float rounding: its one-hot matrix may be
sparse in the pipeline and is dense here). Tests hold it to that on whole data sets.

Hand-written rather than compiled with skl2onnx: ONNX Runtime scores in float32 (so labels at
the threshold could flip), needs a converter for the custom ``TimeFeatures`` step and adds a
runtime to the image; this path needs nothing beyond scikit-learn and numpy. It covers exactly
the steps ``build_pipeline`` makes; anything else raises ``Unsupported`` and the caller scores
with the pipeline itself (``scoring.ServedModel``).
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, OrdinalEncoder, StandardScaler

from gitops_ml.features import TimeFeatures

Columns = Mapping[str, Sequence[Any]]
# One block of the estimator's input: (column-wise values, rows) -> a float matrix (rows x width).
Block = Callable[[Columns, int], np.ndarray]

# How TimeFeatures derives each part from a timestamp (pandas' .dt.month, .dt.dayofweek, .dt.hour).
TIME_PARTS: dict[str, Callable[[Any], int]] = {
    "month": lambda when: when.month,
    "day_of_week": lambda when: when.weekday(),
    "hour": lambda when: when.hour,
}


class Unsupported(ValueError):
    """The fitted pipeline has a step this module does not rebuild."""


def _is_missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _numeric_source(name: str, time_columns: tuple[str, ...]) -> Callable[[Columns], np.ndarray]:
    """A numeric input column, or a time part derived from a datetime input (TimeFeatures)."""
    for column in time_columns:
        for part, derive in TIME_PARTS.items():
            if name == f"{column}_{part}":
                return lambda columns: np.array([derive(when) for when in columns[column]], dtype="float64")
    return lambda columns: np.array(columns[name], dtype="float64")  # None -> NaN, as in the pipeline's frame


def _category_codes(encoder: OrdinalEncoder) -> list[dict[Any, float]]:
    """Each category's code, as the fitted encoder gives it (rare categories share one code)."""
    categories = encoder.categories_
    rows = max(len(known) for known in categories)
    names = getattr(encoder, "feature_names_in_", range(len(categories)))
    probe = pd.DataFrame(
        {
            name: pd.Series([known[i % len(known)] for i in range(rows)], dtype=object)
            for name, known in zip(names, categories, strict=True)
        }
    )
    codes = encoder.transform(probe if hasattr(encoder, "feature_names_in_") else probe.to_numpy())
    return [
        {value: float(codes[i, j]) for i, value in enumerate(known) if not _is_missing(value)}
        for j, known in enumerate(categories)
    ]


def _ordinal_block(encoder: OrdinalEncoder, names: list[str]) -> Block:
    if encoder.handle_unknown != "use_encoded_value":
        raise Unsupported("OrdinalEncoder that raises on unknown categories")
    lookups = _category_codes(encoder)
    unknown, missing = float(encoder.unknown_value), float(encoder.encoded_missing_value)

    def encode(columns: Columns, rows: int) -> np.ndarray:
        out = np.empty((rows, len(names)), dtype="float64")
        for j, (name, codes) in enumerate(zip(names, lookups, strict=True)):
            out[:, j] = [missing if _is_missing(value) else codes.get(value, unknown) for value in columns[name]]
        return out

    return encode


def _one_hot_block(encoder: OneHotEncoder, names: list[str]) -> Block:
    if encoder.drop is not None or encoder.max_categories is not None or encoder.min_frequency is not None:
        raise Unsupported("OneHotEncoder with dropped or infrequent categories")
    if encoder.handle_unknown == "error":
        raise Unsupported("OneHotEncoder that raises on unknown categories")
    positions, offset = [], 0
    for known in encoder.categories_:
        index = {value: offset + i for i, value in enumerate(known) if not _is_missing(value)}
        missing = next((offset + i for i, value in enumerate(known) if _is_missing(value)), None)
        positions.append((index, missing))
        offset += len(known)
    width = offset

    def encode(columns: Columns, rows: int) -> np.ndarray:
        out = np.zeros((rows, width), dtype=encoder.dtype)
        for name, (index, missing) in zip(names, positions, strict=True):
            for row, value in enumerate(columns[name]):
                position = missing if _is_missing(value) else index.get(value)
                if position is not None:  # unknown categories (and unseen missing values) are all zeros
                    out[row, position] = 1
        return out

    return encode


def _imputed_scaled(steps: list[Any]) -> Callable[[np.ndarray], np.ndarray]:
    """SimpleImputer(add_indicator) -> StandardScaler, as their transform methods compute it."""
    if [type(step) for step in steps] != [SimpleImputer, StandardScaler]:
        raise Unsupported(f"numeric steps {[type(step).__name__ for step in steps]}")
    imputer, scaler = steps
    statistics = imputer.statistics_
    if not (isinstance(imputer.missing_values, float) and math.isnan(imputer.missing_values)):
        raise Unsupported("SimpleImputer whose missing value is not NaN")
    if np.isnan(statistics).any():
        raise Unsupported("SimpleImputer that drops an all-missing column")
    indicated = imputer.indicator_.features_ if imputer.indicator_ is not None else None

    def transform(values: np.ndarray) -> np.ndarray:
        missing = np.isnan(values)
        out = np.where(missing, statistics, values)
        if indicated is not None:
            out = np.hstack([out, missing[:, indicated].astype("float64")])
        if scaler.with_mean:
            out -= scaler.mean_
        if scaler.with_std:
            out /= scaler.scale_
        return out

    return transform


def _numeric_block(transformer: Any, names: list[str], time_columns: tuple[str, ...]) -> Block:
    sources = [_numeric_source(name, time_columns) for name in names]
    if (isinstance(transformer, str) and transformer == "passthrough") or (
        isinstance(transformer, FunctionTransformer) and transformer.func is None
    ):
        finish: Callable[[np.ndarray], np.ndarray] = lambda values: values  # noqa: E731
    elif isinstance(transformer, Pipeline):
        finish = _imputed_scaled([step for _, step in transformer.steps])
    else:
        raise Unsupported(f"numeric transformer {type(transformer).__name__}")

    def encode(columns: Columns, rows: int) -> np.ndarray:
        values = np.empty((rows, len(sources)), dtype="float64")
        for j, source in enumerate(sources):
            values[:, j] = source(columns)
        return finish(values)

    return encode


def _blocks(preprocessing: ColumnTransformer, time_columns: tuple[str, ...]) -> list[Block]:
    blocks = []
    for _, transformer, names in preprocessing.transformers_:
        if isinstance(transformer, str) and transformer == "drop":
            continue
        names = list(names)
        if isinstance(transformer, OrdinalEncoder):
            blocks.append(_ordinal_block(transformer, names))
        elif isinstance(transformer, OneHotEncoder):
            blocks.append(_one_hot_block(transformer, names))
        else:
            blocks.append(_numeric_block(transformer, names, time_columns))
    return blocks


def _identity(values: np.ndarray) -> np.ndarray:
    return values


def _without_inner_encoder(estimator: Any) -> tuple[Any, Callable[[np.ndarray], np.ndarray]]:
    """HistGradientBoosting with categorical features re-encodes its input on every call with a
    ColumnTransformer of its own (``_preprocessor``: ~6 ms per call, more than its 200 trees for
    a few rows). Its codes are a sorted look-up of the values seen in fit; this folds that
    look-up into numpy and scores with a copy of the estimator that skips its encoder. Relies on
    scikit-learn internals (``_preprocessor``); the parity tests fail if a release changes them."""
    preprocessor = getattr(estimator, "_preprocessor", None)
    if preprocessor is None or not isinstance(preprocessor, ColumnTransformer):
        return estimator, _identity
    (_, encoder, categorical), (_, _, numerical) = preprocessor.transformers_[:2]
    if (
        not isinstance(encoder, OrdinalEncoder)
        or encoder.handle_unknown != "use_encoded_value"
        or encoder.max_categories is not None
        or not (math.isnan(encoder.unknown_value) and math.isnan(encoder.encoded_missing_value))
    ):
        return estimator, _identity
    categorical, numerical = np.flatnonzero(categorical), np.flatnonzero(numerical)
    # The codes seen in fit, sorted (NaN, if seen, comes last and stays NaN).
    seen = [np.asarray(known[~np.isnan(known.astype("float64"))], dtype="float64") for known in encoder.categories_]

    def inner_codes(values: np.ndarray) -> np.ndarray:
        out = np.empty_like(values)
        for j, (column, known) in enumerate(zip(categorical, seen, strict=True)):
            codes = values[:, column]
            position = np.minimum(np.searchsorted(known, codes), len(known) - 1)
            out[:, j] = np.where(known[position] == codes, position, np.nan)  # unseen and NaN -> NaN
        out[:, len(categorical) :] = values[:, numerical]
        return out

    fast = copy.copy(estimator)
    fast._preprocessor = None  # the input is already encoded (inner_codes)
    return fast, inner_codes


@dataclass(frozen=True)
class ArrayPipeline:
    """A fitted ``build_pipeline`` pipeline, scored from column-wise values."""

    blocks: tuple[Block, ...]
    estimator: Any
    estimator_input: Callable[[np.ndarray], np.ndarray]
    classify: bool

    @classmethod
    def compile(cls, pipeline: Any) -> ArrayPipeline:
        """Read the fitted steps; ``Unsupported`` if the pipeline is not one ``build_pipeline`` makes."""
        if not isinstance(pipeline, Pipeline) or [name for name, _ in pipeline.steps] != [
            "time_features",
            "preprocessing",
            "estimator",
        ]:
            raise Unsupported("not a build_pipeline pipeline")
        time_features, preprocessing, estimator = (step for _, step in pipeline.steps)
        if not isinstance(time_features, TimeFeatures) or not isinstance(preprocessing, ColumnTransformer):
            raise Unsupported("unexpected time-feature or preprocessing step")
        if "n_jobs" in estimator.get_params():
            # One thread per worker process: the service batches requests instead, and threads
            # would also sum a forest's trees in a varying order. A copy: the pipeline keeps its own.
            estimator = copy.copy(estimator).set_params(n_jobs=1)
        blocks = tuple(_blocks(preprocessing, tuple(time_features.columns)))
        fast, estimator_input = _without_inner_encoder(estimator)
        return cls(blocks, fast, estimator_input, hasattr(estimator, "predict_proba"))

    def features(self, columns: Columns) -> np.ndarray:
        """The estimator's input matrix, as the pipeline's ColumnTransformer builds it."""
        rows = len(next(iter(columns.values())))
        return np.hstack([block(columns, rows) for block in self.blocks])

    def predict(self, columns: Columns) -> np.ndarray:
        """The positive class's probability (classification) or the predicted number (regression)."""
        features = self.estimator_input(self.features(columns))
        if self.classify:
            return self.estimator.predict_proba(features)[:, 1]
        return self.estimator.predict(features)
