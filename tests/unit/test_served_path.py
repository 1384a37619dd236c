"""The service's scoring path (scoring.predictor: the fitted pipeline compiled to numpy) answers as
the pipeline does, for every selectable model and every contract's task, on whole data sets with
missing values, unseen categories and rare categories: the random forest bit for bit,
HistGradientBoosting (its trees walked by Treelite) and the linear model within float rounding,
and the same labels at the model's threshold."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from sklearn.pipeline import make_pipeline

from gitops_ml.array_pipeline import ArrayPipeline, Unsupported
from gitops_ml.features import model_inputs
from gitops_ml.model import build_pipeline, predict
from gitops_ml.scoring import column_values, predictor
from gitops_ml.targets import target_values
from tests.support.data import ALL_CONTRACTS, contract, valid_frame
from tests.unit.test_model import MODELS, params

THRESHOLD = 0.35


def scored_rows(schema, rows: int = 4000):
    """Unseen rows; a tenth with every nullable field missing, a tenth with unseen categories."""
    frame = model_inputs(valid_frame(rows, seed=11, schema=schema), schema).copy()
    nullable = [c.name for c in schema.input_columns() if c.nullable]
    frame.loc[frame.index[: rows // 10], nullable] = None
    for column in (c for c in schema.input_columns() if c.kind == "category"):
        frame.loc[frame.index[rows // 10 : rows // 5], column.name] = "never-seen-in-training"
    return frame


@pytest.mark.parametrize("model", MODELS)
@pytest.mark.parametrize("name", ALL_CONTRACTS)
def test_served_predictions_equal_the_pipelines(name, model):
    schema = contract(name)
    train = valid_frame(3000, seed=1, schema=schema)
    pipeline = build_pipeline(params(model), schema).fit(model_inputs(train, schema), target_values(train, schema))
    rows = scored_rows(schema)

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no fallback to a slower path: every model here is covered
        score = predictor(pipeline, schema)
    whole = score(column_values(rows, schema))
    # Small batches take another route for HistGradientBoosting (array_pipeline.TREELITE_MAX_ROWS).
    small = [score(column_values(rows.iloc[i : i + 50], schema)) for i in range(0, len(rows), 50)]
    expected = predict(pipeline, rows, schema.task)

    for served in (whole, np.concatenate(small)):
        assert_answers_agree(served, expected, pipeline, rows, schema, model)


def assert_answers_agree(served, expected, pipeline, rows, schema, model):
    assert served.shape == expected.shape
    if model == "random_forest":
        # A forest predicting on several threads adds its trees up in whatever order they finish,
        # so the pipeline's own answers move in the last bits from call to call; served on one
        # thread, they equal the pipeline's on one thread exactly.
        np.testing.assert_allclose(served, expected, rtol=1e-12, atol=1e-12)
        expected = predict(pipeline.set_params(estimator__n_jobs=1), rows, schema.task)
    if model == "random_forest":
        assert np.array_equal(served, expected)
    else:  # the same sums in another order: Treelite's, or a dense matrix where the pipeline's may be sparse
        np.testing.assert_allclose(served, expected, rtol=1e-12, atol=1e-12)
    if schema.task == "classification":
        assert np.array_equal(served >= THRESHOLD, expected >= THRESHOLD)


def test_rare_categories_share_the_encoders_code():
    """max_categories folds rare categories into one code; the served look-up must do the same."""
    schema = contract("shipped")
    train = valid_frame(3000, seed=1, schema=schema)
    pipeline = build_pipeline(params("hist_gradient_boosting"), schema).fit(
        model_inputs(train, schema), target_values(train, schema)
    )
    encoder = pipeline.named_steps["preprocessing"].named_transformers_["categorical"]
    encoder.set_params(max_categories=3).fit(model_inputs(train, schema)[encoder.feature_names_in_])
    assert any(len(set(codes)) < len(known) for codes, known in zip(
        encoder.transform(model_inputs(train, schema)[encoder.feature_names_in_]).T, encoder.categories_, strict=True
    ))  # fmt: skip
    rows = scored_rows(schema, 500)
    features = ArrayPipeline.compile(pipeline).features(column_values(rows, schema))
    expected = pipeline[:-1].transform(rows)
    assert np.array_equal(features, expected, equal_nan=True)


def test_a_pipeline_it_does_not_cover_is_scored_as_fitted():
    schema = contract("churn")
    train = valid_frame(500, seed=1, schema=schema)
    fitted = build_pipeline(params("linear"), schema)
    other = make_pipeline(*(step for _, step in fitted.steps))
    other.fit(model_inputs(train, schema), target_values(train, schema))
    with pytest.raises(Unsupported):
        ArrayPipeline.compile(other)
    rows = scored_rows(schema, 300)
    with pytest.warns(UserWarning, match="as fitted"):
        served = predictor(other, schema)
    assert np.array_equal(served(column_values(rows, schema)), predict(other, rows, schema.task))
