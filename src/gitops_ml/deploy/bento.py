"""Build the Bento from bentofile.yaml with labels that say what is inside.

    python -m gitops_ml.deploy.bento [--tag-file build/bento/tag]

``make bento`` runs it after exporting the requirements from uv.lock and importing the model.
The build context is assembled in build/bento/context: the package (``src/gitops_ml``, so it keeps
its import path), the serving requirements, and the project's ``schema.yaml`` and ``params.yaml``,
which the service reads when it starts. The Bento is named after params.yaml ``project.name``.
Labels: the git commit, the packed model's version, and the model's labels (MLflow run, gated
metrics) copied from the BentoML model. Prints the Bento tag and writes it to ``--tag-file`` for
``make container``/``make serve-bento``.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

from gitops_ml import paths, tracking
from gitops_ml.config import PARAMS_FILE, load_params
from gitops_ml.deploy import DeployError, cli
from gitops_ml.schema import schema_path

BENTOFILE = Path("bentofile.yaml")
REQUIREMENTS = Path("src/requirements-serve.txt")  # exported from uv.lock by `make bento`
CONTEXT = Path("build/bento/context")
TAG_FILE = Path("build/bento/tag")


def build_labels(model_tag: str, model_labels: dict[str, str], commit: str) -> dict[str, str]:
    labels = {f"model_{key}" if key == "git_commit" else key: value for key, value in model_labels.items()}
    labels.update(git_commit=commit, model_version=model_tag)
    return labels


def assemble_context(context: Path = CONTEXT) -> Path:
    """A fresh build context: what bentofile.yaml's ``include`` picks from."""
    if not REQUIREMENTS.exists():
        raise DeployError(f"{REQUIREMENTS} missing: `make bento` exports it from uv.lock first")
    shutil.rmtree(context, ignore_errors=True)
    shutil.copytree(paths.package_dir(), context / "gitops_ml", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy2(REQUIREMENTS, context / REQUIREMENTS.name)
    shutil.copy2(schema_path(), context / "schema.yaml")
    shutil.copy2(PARAMS_FILE, context / "params.yaml")
    return context


def build(bentofile: Path = BENTOFILE) -> str:
    import bentoml
    from bentoml.exceptions import NotFound

    name = load_params().project.name
    try:
        model = bentoml.models.get(f"{name}:latest")
    except NotFound:
        raise DeployError(
            f"no {name} model in the BentoML store: run `python -m gitops_ml.deploy.import_model`"
        ) from None
    labels = build_labels(str(model.tag), dict(model.info.labels), tracking.git_commit())
    context = assemble_context()
    bento = bentoml.bentos.build_bentofile(str(bentofile.resolve()), name=name, build_ctx=str(context), labels=labels)
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
