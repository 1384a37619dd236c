"""compile: the trained model's trees as native code, what the service walks them with.

Writes models/compiled/ (``compiled_trees.compile_to``): ``trees.so`` and ``compiled.json``, or
only ``compiled.json`` saying why there is nothing to compile (another model type, no C compiler).
It never fails the pipeline: without compiled trees the model is scored as before, more slowly.
"""

from __future__ import annotations

import joblib

from gitops_ml import compiled_trees, paths
from gitops_ml.config import Params
from gitops_ml.schema import Schema
from gitops_ml.stages import run_stage


def compile_model(params: Params, schema: Schema) -> None:
    info = compiled_trees.compile_to(joblib.load(paths.MODEL), paths.MODEL, paths.COMPILED)
    if info["compiled"]:
        print(f"compiled the trees with {info['compiler']} in {info['seconds']} s -> {paths.COMPILED}")
    else:
        print(f"trees not compiled: {info['reason']}")


def main() -> None:
    run_stage(compile_model)


if __name__ == "__main__":
    main()
