"""Registry promotion against a real `mlflow server` on loopback (one per test session).

The model is logged by the train stage's own MLflow code; the CLIs the deploy workflow runs then
register it (tags: commit, image digest) and move the `champion` alias only after a successful
deploy, recording the replaced champion as `previous-champion`."""

from __future__ import annotations

import json

import joblib
import pytest

from gitops_ml.config import load_params
from gitops_ml.deploy import promote
from gitops_ml.features import model_inputs
from gitops_ml.model import build_pipeline, predict
from gitops_ml.targets import target_values
from tests.support.data import contract, valid_frame
from tests.support.mlflow_server import mlflow_server
from tests.support.project import ROOT

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("mlflow-server")]

IMAGE = "ghcr.io/acme/model@sha256:{}"
PROJECT = load_params(ROOT / "params.yaml").project.name  # the registered model's name


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with mlflow_server(tmp_path_factory.mktemp("mlflow-server")) as url:
        yield url


@pytest.fixture(scope="module")
def trained(server, tmp_path_factory, monkeypatch_module):
    """A small model logged by the train stage's log_to_mlflow into the server; its run id."""
    from gitops_ml.stages import train

    monkeypatch_module.setenv("MLFLOW_TRACKING_URI", server)
    schema = contract()
    frame = valid_frame(500, seed=2, schema=schema)
    params = load_params(ROOT / "params.yaml")
    params = params.model_copy(
        update={
            "train": params.train.model_copy(
                update={
                    "hist_gradient_boosting": params.train.hist_gradient_boosting.model_copy(update={"max_iter": 5})
                }
            )
        }
    )
    pipeline = build_pipeline(params.train, schema).fit(model_inputs(frame, schema), target_values(frame, schema))
    run_id = train.log_to_mlflow(params, schema, pipeline, model_inputs(frame, schema))
    directory = tmp_path_factory.mktemp("model")
    joblib.dump(pipeline, directory / "model.joblib")
    return run_id, directory


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as patch:
        yield patch


def cli(server, capsys, *args, check=True) -> str:
    """The CLI's main(), in-process (importing MLflow once keeps the module fast)."""
    capsys.readouterr()
    code = promote.main(list(args))
    output = capsys.readouterr().out
    if check:
        assert code == 0, output
    return output if code == 0 else f"exit {code}: {output}"


def aliases(server) -> dict[str, str]:
    from mlflow.tracking import MlflowClient

    return dict(MlflowClient(server).get_registered_model(PROJECT).aliases)


def register(server, capsys, run_id, model_dir, digit) -> str:
    image = IMAGE.format(digit * 64)
    args = ["register", "--image", image, "--commit", f"c{digit}", "--run-id", run_id]
    return cli(server, capsys, *args, "--model-file", str(model_dir / "model.joblib")).strip()


def test_champion_moves_only_after_a_successful_deploy(server, trained, capsys):
    from mlflow.tracking import MlflowClient

    run_id, model_dir = trained
    first = register(server, capsys, run_id, model_dir, "1")
    cli(server, capsys, "promote", "--version", first, "--deploy-outcome", "success")
    assert aliases(server)["champion"] == first

    second = register(server, capsys, run_id, model_dir, "2")
    version = MlflowClient(server).get_model_version(PROJECT, second)
    assert version.tags["git_commit"] == "c2"
    assert version.tags["image_digest"] == "sha256:" + "2" * 64
    assert version.run_id == run_id  # the train stage's run, not a copy

    failed = cli(server, capsys, "promote", "--version", second, "--deploy-outcome", "failure")
    assert "stays at version " + first in failed
    assert aliases(server) == {"champion": first}
    assert MlflowClient(server).get_model_version(PROJECT, second).tags["deploy_status"] == "failure"

    cli(server, capsys, "promote", "--version", second, "--deploy-outcome", "success")
    assert aliases(server) == {"champion": second, "previous-champion": first}

    cli(server, capsys, "rollback")
    assert aliases(server) == {"champion": first, "previous-champion": second}


def test_model_from_another_store_is_logged_then_registered(server, trained, capsys):
    from mlflow.tracking import MlflowClient

    _, model_dir = trained
    version = register(server, capsys, "0" * 32, model_dir, "3")  # a run this server never saw
    registered = MlflowClient(server).get_model_version(PROJECT, version)
    assert registered.run_id != "0" * 32
    assert MlflowClient(server).get_run(registered.run_id).data.tags["source_run_id"] == "0" * 32


def test_unknown_version_is_an_error_and_moves_nothing(server, trained, capsys):
    before = aliases(server) if _registered(server) else {}
    result = cli(server, capsys, "promote", "--version", "999", "--deploy-outcome", "success", check=False)
    assert result.startswith("exit 1")
    assert (aliases(server) if _registered(server) else {}) == before


def _registered(server) -> bool:
    from mlflow.tracking import MlflowClient

    return bool(MlflowClient(server).search_registered_models(filter_string=f"name = '{PROJECT}'"))


def test_the_promoted_model_predicts_like_the_trained_one(server, trained, capsys):
    """What the registry serves under the alias is the model that was trained."""
    import mlflow

    run_id, model_dir = trained
    version = register(server, capsys, run_id, model_dir, "4")
    cli(server, capsys, "promote", "--version", version, "--deploy-outcome", "success")
    mlflow.set_tracking_uri(server)
    served = mlflow.sklearn.load_model(f"models:/{PROJECT}@champion")
    schema = contract()
    rows = model_inputs(valid_frame(50, seed=9, schema=schema), schema)
    expected = predict(joblib.load(model_dir / "model.joblib"), rows, schema.task)
    assert json.dumps(predict(served, rows, schema.task).tolist()) == json.dumps(expected.tolist())
