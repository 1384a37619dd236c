"""The fitted pipeline's inference on column-wise values, without pandas: what the service runs.

``model.build_pipeline`` fits time features -> a ``ColumnTransformer`` -> an estimator. Scoring it
as fitted costs a DataFrame and the ``ColumnTransformer``'s pandas work per call: ~10 ms for one
row, a good part of a 1000-row batch.
``ArrayPipeline.compile`` reads the fitted steps once, when the model is loaded (the encoders'
categories and codes, the imputer's statistics, the scaler's means and scales), and rebuilds the
estimator's input matrix with numpy and dict look-ups: the matrix the ``ColumnTransformer``
would produce, column for column. A HistGradientBoosting model's trees are walked by their
compiled form when one is given (``compiled_trees``), else, up to ``TREELITE_MAX_ROWS`` rows, by
Treelite's interpreter (``_treelite_score``): the same trees, answers within ~1e-15. Otherwise
the fitted estimator is called on that matrix (a random forest answers bit for bit, the linear
model within float rounding: its one-hot matrix may be sparse in the pipeline and is dense here).
Tests hold every model to the pipeline's answers on whole data sets.

The preprocessing is hand-written rather than compiled with skl2onnx: ONNX Runtime's tree
ensembles score in float32 (labels at the threshold could flip), the custom ``TimeFeatures``
step needs a converter, and the runtime is a large addition to the image. It covers exactly the
steps ``build_pipeline`` makes; anything else raises ``Unsupported`` and the caller scores with
the pipeline itself (``scoring.predictor``).
"""

from __future__ import annotations

import copy
import math
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import treelite
import treelite.gtil
import treelite.sklearn
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, OrdinalEncoder, StandardScaler
from threadpoolctl import ThreadpoolController

from gitops_ml.features import TimeFeatures
from gitops_ml.schema import TIME_PARTS

Columns = Mapping[str, Sequence[Any]]
# One block of the estimator's input: (column-wise values, rows) -> a float matrix (rows x width).
Block = Callable[[Columns, int], np.ndarray]

MISSING_TIME = (math.nan,) * len(TIME_PARTS)


def _time_parts(when: Any) -> tuple[float, ...]:
    """A timestamp's parts in TIME_PARTS order, as TimeFeatures derives them (pandas' .dt.month,
    .dt.dayofweek, .dt.hour). A validated request holds datetimes and None; a DataFrame's column,
    Timestamps and NaT, whose parts are already NaN."""
    return MISSING_TIME if when is None else (when.month, when.weekday(), when.hour)


class Unsupported(ValueError):
    """The fitted pipeline has a step this module does not rebuild."""


def _is_missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


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
            values, code = columns[name], codes.get
            out[:, j] = [code(value, unknown) for value in values]
            # Missing values found no code: the few unknown rows are told apart here, not every row.
            for row in np.flatnonzero(out[:, j] == unknown).tolist():
                if _is_missing(values[row]):
                    out[row, j] = missing
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
    if (isinstance(transformer, str) and transformer == "passthrough") or (
        isinstance(transformer, FunctionTransformer) and transformer.func is None
    ):
        finish: Callable[[np.ndarray], np.ndarray] = lambda values: values  # noqa: E731
    elif isinstance(transformer, Pipeline):
        finish = _imputed_scaled([step for _, step in transformer.steps])
    else:
        raise Unsupported(f"numeric transformer {type(transformer).__name__}")
    # Each of the block's columns is a numeric input, or a part of a datetime input (TimeFeatures).
    parts = {f"{column}_{part}": (column, i) for column in time_columns for i, part in enumerate(TIME_PARTS)}
    inputs = [name for name in names if name not in parts]
    input_positions = [j for j, name in enumerate(names) if name not in parts]
    derived = [(j, *parts[name]) for j, name in enumerate(names) if name in parts]
    times = sorted({column for _, column, _ in derived})

    def encode(columns: Columns, rows: int) -> np.ndarray:
        values = np.empty((rows, len(names)), dtype="float64")
        if inputs:  # one conversion for all of them; None -> NaN, as in the pipeline's frame
            values[:, input_positions] = np.array([columns[name] for name in inputs], dtype="float64").T
        # A Python loop over each timestamp once, for all its parts (~0.1 ms per 1000 values); a
        # DatetimeIndex costs ~0.1 ms even for one row.
        split = {
            column: np.array(list(map(_time_parts, columns[column])), dtype="float64").reshape(rows, len(TIME_PARTS))
            for column in times
        }
        for j, column, i in derived:
            values[:, j] = split[column][:, i]
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


# Up to this many rows, Treelite walks HistGradientBoosting's trees faster than scikit-learn;
# beyond, scikit-learn's per-call overhead is paid off and its per-row walk is the faster one
# (measured: one row 0.07 vs 2 ms; 1000 rows 22 vs 15 ms, for 66 trees).
TREELITE_MAX_ROWS = 200


def _estimator_score(estimator: Any) -> Callable[[np.ndarray], np.ndarray]:
    """The fitted estimator on the input matrix: the positive class's probability, or the number."""

    def as_fitted(features: np.ndarray) -> np.ndarray:
        if hasattr(estimator, "predict_proba"):
            return estimator.predict_proba(features)[:, 1]
        return estimator.predict(features)

    if isinstance(estimator, HistGradientBoostingClassifier | HistGradientBoostingRegressor):
        try:
            walk_trees = _treelite_score(estimator)
        except (NotImplementedError, AssertionError) as reason:  # what treelite's importer raises
            warnings.warn(f"scoring HistGradientBoosting with scikit-learn (slower): {reason!r}", stacklevel=3)
            walk_trees = None
        # Built once: finding the loaded thread pools costs ~20 ms, limiting them ~0.1 ms.
        threads = ThreadpoolController()

        def on_one_thread(features: np.ndarray) -> np.ndarray:
            if walk_trees is not None and len(features) <= TREELITE_MAX_ROWS:
                return walk_trees(features)
            # One OpenMP thread, as Treelite runs, whatever OMP_NUM_THREADS says: with another
            # process busy on the second core, scikit-learn's threads wait on each other (seconds
            # for 1000 rows instead of ~50 ms).
            with threads.limit(limits=1, user_api="openmp"):
                return as_fitted(features)

        return on_one_thread
    return as_fitted


def _treelite_score(estimator: Any) -> Callable[[np.ndarray], np.ndarray]:
    """HistGradientBoosting's trees in Treelite's inference library (GTIL, C++).

    scikit-learn walks the trees one Python call per tree (~15 us each, plus its own category
    encoder per call: ~2 ms for one row of a 200-tree model); GTIL walks them all in one call.
    Treelite reads the fitted trees, the category bitsets and the estimator's inner category
    encoding from the estimator itself, so it takes the same input matrix. It adds the trees up in
    its own order: answers agree with scikit-learn's within ~1e-15 (relative), not always bit for
    bit (docs/benchmarks.md, "Serving", measures it on the test split).
    """
    if isinstance(estimator, HistGradientBoostingClassifier) and estimator.n_trees_per_iteration_ != 1:
        raise NotImplementedError("more than two classes")
    model = treelite.sklearn.import_model(estimator)

    def score(features: np.ndarray) -> np.ndarray:
        # One thread: the service runs a worker process per core and batches requests instead.
        return treelite.gtil.predict(model, features, nthread=1)[:, 0, 0]

    return score


@dataclass(frozen=True)
class ArrayPipeline:
    """A fitted ``build_pipeline`` pipeline, scored from column-wise values."""

    blocks: tuple[Block, ...]
    score: Callable[[np.ndarray], np.ndarray]  # the estimator on the input matrix

    @classmethod
    def compile(cls, pipeline: Any, trees: Callable[[np.ndarray], np.ndarray] | None = None) -> ArrayPipeline:
        """Read the fitted steps; ``Unsupported`` if the pipeline is not one ``build_pipeline`` makes.
        ``trees``: the estimator compiled to native code (``compiled_trees.load``), used for every call."""
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
        score = trees if trees is not None else _estimator_score(estimator)
        return cls(tuple(_blocks(preprocessing, tuple(time_features.columns))), score)

    def features(self, columns: Columns) -> np.ndarray:
        """The estimator's input matrix, as the pipeline's ColumnTransformer builds it."""
        rows = len(next(iter(columns.values())))
        return np.hstack([block(columns, rows) for block in self.blocks])

    def predict(self, columns: Columns) -> np.ndarray:
        """The positive class's probability (classification) or the predicted number (regression)."""
        return self.score(self.features(columns))
