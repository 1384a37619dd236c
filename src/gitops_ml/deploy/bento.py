"""Build the Bento from bentofile.yaml with labels that say what is inside.

    python -m gitops_ml.deploy.bento [--tag-file build/bento/tag]

``make bento`` runs it after exporting the requirements from uv.lock and importing the model.
Labels: the git commit, the packed model's version, and the model's labels (MLflow run, gated
metrics) copied from the BentoML model. Prints the Bento tag and writes it to ``--tag-file`` for
``make container``/``make serve-bento``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from gitops_ml import tracking
from gitops_ml.deploy import DeployError, cli
from gitops_ml.scoring import MODEL_NAME

BENTOFILE = Path("bentofile.yaml")
BUILD_CONTEXT = Path("src")  # so the package keeps its import path inside the Bento
REQUIREMENTS = BUILD_CONTEXT / "requirements-serve.txt"  # generated; BentoML reads it from the context only
TAG_FILE = Path("build/bento/tag")


def build_labels(model_tag: str, model_labels: dict[str, str], commit: str) -> dict[str, str]:
    labels = {f"model_{key}" if key == "git_commit" else key: value for key, value in model_labels.items()}
    labels.update(git_commit=commit, model_version=model_tag)
    return labels


def build(bentofile: Path = BENTOFILE, build_ctx: Path = BUILD_CONTEXT) -> str:
    import bentoml
    from bentoml.exceptions import NotFound

    if not REQUIREMENTS.exists():
        raise DeployError(f"{REQUIREMENTS} missing: `make bento` exports it from uv.lock first")
    try:
        model = bentoml.models.get(f"{MODEL_NAME}:latest")
    except NotFound:
        raise DeployError(
            f"no {MODEL_NAME} model in the BentoML store: run `python -m gitops_ml.deploy.import_model`"
        ) from None
    labels = build_labels(str(model.tag), dict(model.info.labels), tracking.git_commit())
    bento = bentoml.bentos.build_bentofile(str(bentofile), build_ctx=str(build_ctx), labels=labels)
    return str(bento.tag)


@cli
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tag-file", type=Path, default=TAG_FILE)
    args = parser.parse_args(argv)
    tag = build()
    args.tag_file.parent.mkdir(parents=True, exist_ok=True)
    args.tag_file.write_text(tag + "\n")
    print(tag)
    return 0


if __name__ == "__main__":
    sys.exit(main())
