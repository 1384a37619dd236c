"""The compiled trees (compiled_trees.py, TL2cgen and the machine's gcc) answer as the pipeline does,
and are used only when they belong to the model and load: otherwise the scorer says why and walks
the trees as before. Real compilations of small models (30 trees, ~2 s each)."""

from __future__ import annotations

import json
import shutil
import warnings

import joblib
import numpy as np
import pytest
from sklearn.ensemble import HistGradientBoostingRegressor

from gitops_ml import compiled_trees
from gitops_ml.array_pipeline import ArrayPipeline
from gitops_ml.features import model_inputs
from gitops_ml.model import build_pipeline, predict
from gitops_ml.scoring import column_values, predictor
from gitops_ml.targets import target_values
from tests.support.data import ALL_CONTRACTS, contract, valid_frame
from tests.unit.test_model import params
from tests.unit.test_served_path import assert_answers_agree, scored_rows

needs_compiler = pytest.mark.skipif(
    shutil.which(compiled_trees.COMPILER) is None,
    reason="no C compiler here: nothing is compiled (the tests below say so)",
)


def fitted(schema, model: str = "hist_gradient_boosting", seed: int = 1):
    train = valid_frame(3000, seed=seed, schema=schema)
    return build_pipeline(params(model, seed), schema).fit(model_inputs(train, schema), target_values(train, schema))


def compiled(pipeline, tmp_path, name: str = "model"):
    model_file = tmp_path / f"{name}.joblib"
    joblib.dump(pipeline, model_file)
    info = compiled_trees.compile_to(pipeline, model_file, tmp_path / f"{name}-compiled")
    return model_file, tmp_path / f"{name}-compiled", info


@needs_compiler
@pytest.mark.parametrize("name", ALL_CONTRACTS)
def test_compiled_trees_answer_as_the_pipeline(name, tmp_path):
    schema = contract(name)
    pipeline = fitted(schema)
    model_file, directory, info = compiled(pipeline, tmp_path)
    assert info["compiled"] is True and info["compiler"] == "gcc -O1"
    assert json.loads((directory / compiled_trees.INFO).read_text()) == info
    assert (directory / compiled_trees.LIBRARY).stat().st_size > 0

    trees = compiled_trees.load(directory, model_file)
    assert trees is not None
    assert ArrayPipeline.compile(pipeline, trees).score is trees  # every call goes through them
    score = predictor(pipeline, schema, trees)
    rows = scored_rows(schema)
    expected = predict(pipeline, rows, schema.task)
    whole = score(column_values(rows, schema))
    one_by_one = np.concatenate([score(column_values(rows.iloc[i : i + 1], schema)) for i in range(200)])
    assert_answers_agree(whole, expected, pipeline, rows, schema, "hist_gradient_boosting")
    np.testing.assert_allclose(one_by_one, expected[:200], rtol=1e-12, atol=1e-12)


@needs_compiler
def test_a_batch_is_walked_sorted_and_answered_in_its_own_order(tmp_path, monkeypatch):
    """Rows in the order of the most split-on feature (branch prediction): each row still gets
    its own answer, bit for bit the one it gets unsorted."""
    schema = contract("shipped")
    pipeline = fitted(schema)
    model_file, directory, info = compiled(pipeline, tmp_path)
    estimator = pipeline.steps[-1][1]
    nodes = np.concatenate([tree.nodes for predictors in estimator._predictors for tree in predictors])
    most_split = np.bincount(nodes["feature_idx"][nodes["is_leaf"] == 0]).argmax()
    assert info["sort_rows_by"] == most_split

    trees = compiled_trees.load(directory, model_file)
    matrix = ArrayPipeline.compile(pipeline).features(column_values(scored_rows(schema, 1000), schema))
    sorted_walk = trees(matrix)
    monkeypatch.setattr(compiled_trees, "SORTED_FROM_ROWS", len(matrix) + 1)
    unsorted_walk = trees(matrix)
    assert not np.array_equal(np.argsort(matrix[:, most_split]), np.arange(len(matrix)))  # the sort moves rows
    np.testing.assert_array_equal(sorted_walk, unsorted_walk)


@needs_compiler
def test_a_split_on_missing_values_alone_compiles(tmp_path):
    """A split that only sends missing values one way has an infinite threshold, which Treelite's
    JSON dump writes as nothing: the compile stage reads the trees without it."""
    rng = np.random.default_rng(0)
    features = rng.normal(size=(2000, 3))
    features[:1000, 1] = np.nan
    target = np.isnan(features[:, 1]) + rng.normal(scale=0.01, size=2000)
    estimator = HistGradientBoostingRegressor(max_iter=5, random_state=0).fit(features, target)
    assert np.isinf(estimator._predictors[0][0].nodes["num_threshold"][0])
    model_file, directory, info = compiled(estimator, tmp_path)
    assert info["compiled"] is True and info["sort_rows_by"] in range(features.shape[1])
    rows = np.repeat(features, 2, axis=0)[: compiled_trees.SORTED_FROM_ROWS * 2]  # a batch that is sorted
    np.testing.assert_allclose(compiled_trees.load(directory, model_file)(rows), estimator.predict(rows), rtol=1e-12)


def test_missing_timestamps_from_a_request_score_as_missing(tmp_path):
    """A validated request holds None where a DataFrame holds NaT: both are missing time parts."""
    schema = contract("shipped")
    pipeline = fitted(schema)
    rows = scored_rows(schema, 300)
    times = [c.name for c in schema.input_columns() if c.kind == "datetime"]
    rows.loc[rows.index[:30], times] = None  # a nullable timestamp's missing values (NaT in the frame)
    from_request = {
        name: [None if name in times and value is not None and value != value else value for value in values]
        for name, values in column_values(rows, schema).items()
    }
    assert any(value is None for value in from_request[times[0]])
    np.testing.assert_allclose(
        predictor(pipeline, schema)(from_request), predict(pipeline, rows, schema.task), rtol=1e-12, atol=1e-12
    )


@needs_compiler
def test_trees_compiled_from_another_model_are_not_used(tmp_path):
    schema = contract("shipped")
    _, directory, _ = compiled(fitted(schema, seed=1), tmp_path, "first")
    other_file = tmp_path / "second.joblib"
    joblib.dump(fitted(schema, seed=2), other_file)
    assert not compiled_trees.built_from(directory, other_file)
    with pytest.warns(UserWarning, match="compiled from another model"):
        assert compiled_trees.load(directory, other_file) is None


@needs_compiler
def test_a_library_that_does_not_load_here_is_not_used(tmp_path):
    schema = contract("shipped")
    model_file, directory, _ = compiled(fitted(schema), tmp_path)
    (directory / compiled_trees.LIBRARY).write_bytes(b"\x7fELF not really")
    with pytest.warns(UserWarning, match="do not load here"):
        assert compiled_trees.load(directory, model_file) is None


def test_without_a_compiler_it_says_why_and_scoring_goes_on(tmp_path, monkeypatch):
    schema = contract("churn")
    pipeline = fitted(schema)
    monkeypatch.setattr(compiled_trees, "COMPILER", "no-such-cc")
    model_file, directory, info = compiled(pipeline, tmp_path)
    assert info["compiled"] is False and "no C compiler (no-such-cc)" in info["reason"]
    assert sorted(p.name for p in directory.iterdir()) == [compiled_trees.INFO]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # nothing to warn about at load: compile_to said why
        assert compiled_trees.load(directory, model_file) is None
    rows = scored_rows(schema, 300)
    np.testing.assert_allclose(
        predictor(pipeline, schema)(column_values(rows, schema)), predict(pipeline, rows, schema.task), rtol=1e-12
    )


@pytest.mark.parametrize("model", ["linear", "random_forest"])
def test_other_models_are_not_compiled(model, tmp_path):
    _, directory, info = compiled(fitted(contract("shipped"), model), tmp_path)
    assert info["compiled"] is False and "only HistGradientBoosting is compiled" in info["reason"]
    assert not (directory / compiled_trees.LIBRARY).exists()


@needs_compiler
def test_a_new_output_replaces_the_old_one_whole(tmp_path):
    schema = contract("shipped")
    model_file, directory, _ = compiled(fitted(schema), tmp_path)
    (directory / "left-over").write_text("from an earlier run")
    compiled_trees.compile_to(fitted(schema, "linear"), model_file, directory)
    assert sorted(p.name for p in directory.iterdir()) == [compiled_trees.INFO]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no building directory left
