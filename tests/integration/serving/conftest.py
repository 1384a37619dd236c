"""Fixtures for the service tests: a private BentoML model store, a small trained model in it,
and (once per test session and worker) a Bento built from the reproduced pipeline and served."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import joblib
import pytest

from gitops_ml.config import TrainParams, load_params
from gitops_ml.features import model_inputs
from gitops_ml.model import build_pipeline
from gitops_ml.stages.train import make_card
from gitops_ml.targets import target_values
from tests.support.data import contract, valid_frame
from tests.support.project import ROOT
from tests.support.serving import build_bento, serving

THRESHOLD = 0.35


@pytest.fixture
def model_store(tmp_path):
    """BentoML's model store, pointed at a temp dir for the test (never ~/bentoml)."""
    from bentoml._internal.configuration.containers import BentoMLContainer
    from bentoml._internal.models import ModelStore

    store = ModelStore(str(tmp_path / "bentoml-models"))
    BentoMLContainer.model_store.set(store)
    yield store
    BentoMLContainer.model_store.reset()


@pytest.fixture(scope="session")
def small_model(tmp_path_factory) -> Path:
    """A pipeline model fitted on synthetic schema-valid rows, with its card (like models/)."""
    directory = tmp_path_factory.mktemp("small-model")
    schema = contract()
    frame = valid_frame(3000, seed=1, schema=schema)
    train = TrainParams(threshold=THRESHOLD, hist_gradient_boosting={"max_iter": 30})
    pipeline = build_pipeline(train, schema).fit(model_inputs(frame, schema), target_values(frame, schema))
    joblib.dump(pipeline, directory / "model.joblib")
    params = load_params(ROOT / "params.yaml").model_copy(update={"train": train})
    card = make_card(params, schema, len(frame), run_id="0123456789abcdef")
    (directory / "model.json").write_text(card.to_json())
    return directory


@dataclass(frozen=True)
class BuiltBento:
    repo: Path
    home: Path  # BENTOML_HOME holding the model and the Bento
    tag: str


@dataclass(frozen=True)
class ServedBento:
    url: str
    log_dir: Path
    bento: BuiltBento


@pytest.fixture(scope="session")
def built_bento(reproduced_repo, tmp_path_factory) -> BuiltBento:
    home = tmp_path_factory.mktemp("bentoml-home")
    return BuiltBento(reproduced_repo, home, build_bento(reproduced_repo, home))


@pytest.fixture(scope="session")
def served_bento(built_bento, tmp_path_factory):
    """The built Bento under `bentoml serve` on loopback (started from an unrelated directory,
    so everything it needs must be inside the Bento)."""
    workdir = tmp_path_factory.mktemp("serve")
    log_dir = workdir / "inference-logs"
    with serving(built_bento.tag, workdir, built_bento.home, log_dir) as url:
        yield ServedBento(url, log_dir, built_bento)
