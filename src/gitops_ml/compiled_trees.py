"""A HistGradientBoosting model's trees compiled to native code (TL2cgen): how the service walks them.

Walking 200 trees of 31 leaves is most of what a prediction costs once the inputs are a matrix:
scikit-learn takes ~30 ms for 1000 rows on one thread and Treelite's interpreter (GTIL) longer;
the same trees compiled to C take ~3.5 ms, and ~0.05 ms for one row (docs/benchmarks.md).

``compile_to`` writes ``trees.so`` and ``compiled.json`` into a directory: the pipeline's
``compile`` stage (a DVC output, ``models/compiled``) and the import into the BentoML store (for a
model that comes from MLflow) both call it, so the artefact is always built by a command, never by
hand. It needs a C compiler; without one, or for a model that is not HistGradientBoosting,
``compiled.json`` says why and the scorer walks the trees as before (``array_pipeline``). The
library is built for the machine that compiled it (Linux x86-64 code that needs only glibc's
``exp``, so a Linux runner's build loads in the slim Debian image); ``load`` refuses, with a
warning, a library that does not load here or was compiled from another model file.
"""

from __future__ import annotations

import hashlib
import json
import platform
import shutil
import subprocess
import tempfile
import threading
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

LIBRARY = "trees.so"
INFO = "compiled.json"
# -O1: a third of -O3's compile time (~10 s for 200 trees) and as fast to score (measured: 3.5 ms
# per 1000 rows at -O1, 4.9 at -O2; -O0 compiles in 5 s and scores at 6.8 ms).
COMPILER = "gcc"
COMPILER_FLAGS = ["-O1"]
# quantize: each threshold becomes its index among the feature's sorted thresholds, so a row's
# values are looked up once and every tree compares integers: 0.76x the time per 1000 rows, the
# same answers bit for bit. Branch annotation (likely/unlikely from training data) gained nothing
# measurable. Eight translation units: gcc's time grows faster than linearly with one's size.
TL2CGEN_PARAMS = {"parallel_comp": 8, "quantize": 1}
# A batch of at least this many rows is walked in the order of the feature the trees split on most
# (``sort_rows_by`` in compiled.json), and answered in its own order: neighbouring rows then take
# the same branches at those splits, which the CPU predicts. 1000 rows sampled at random from the
# example's test split: 0.85x the trees' time, the same answers bit for bit; rows in file order
# (time order) take 0.6x, which is why the sort pays (docs/benchmarks.md, "Serving").
SORTED_FROM_ROWS = 256


def model_digest(model_file: Path) -> str:
    return hashlib.md5(Path(model_file).read_bytes(), usedforsecurity=False).hexdigest()


def _compilable(estimator: Any) -> str | None:
    """Why these trees are not compiled, or None."""
    from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor

    if not isinstance(estimator, HistGradientBoostingClassifier | HistGradientBoostingRegressor):
        return f"{type(estimator).__name__} is scored by scikit-learn (only HistGradientBoosting is compiled)"
    if isinstance(estimator, HistGradientBoostingClassifier) and estimator.n_trees_per_iteration_ != 1:
        return "more than two classes"
    if shutil.which(COMPILER) is None:
        return f"no C compiler ({COMPILER}) on this machine: install one to serve compiled trees"
    return None


def compile_to(pipeline: Any, model_file: Path, directory: Path) -> dict[str, Any]:
    """Compile the pipeline's estimator into ``directory`` (replacing it whole); returns what
    ``compiled.json`` records: whether it was compiled, or why not."""
    directory = Path(directory)
    directory.parent.mkdir(parents=True, exist_ok=True)
    building = Path(tempfile.mkdtemp(prefix=f".{directory.name}-", dir=directory.parent))
    building.chmod(0o755)  # mkdtemp's is 0700: the image's non-root user must read it
    try:
        info = _compile_into(pipeline, model_file, building)
        shutil.rmtree(directory, ignore_errors=True)
        building.rename(directory)  # the previous output stays whole until this one is
    finally:
        shutil.rmtree(building, ignore_errors=True)
    return info


def _compile_into(pipeline: Any, model_file: Path, directory: Path) -> dict[str, Any]:
    estimator = pipeline.steps[-1][1] if hasattr(pipeline, "steps") else pipeline
    info: dict[str, Any] = {"model_md5": model_digest(model_file), "compiled": False}
    reason = _compilable(estimator)
    if reason is None:
        import tl2cgen
        import treelite.sklearn

        start = time.perf_counter()
        try:
            trees = treelite.sklearn.import_model(estimator)
            sort_rows_by = _most_split_feature(trees)
            with tempfile.TemporaryDirectory() as scratch:  # tl2cgen's sources and objects
                library = Path(scratch) / LIBRARY
                tl2cgen.export_lib(
                    trees,
                    toolchain=COMPILER,
                    libpath=str(library),
                    params=TL2CGEN_PARAMS,
                    options=COMPILER_FLAGS,
                )
                shutil.copyfile(library, directory / LIBRARY)
        except (tl2cgen.TL2cgenError, OSError, subprocess.SubprocessError, NotImplementedError) as error:
            reason = f"compiling failed: {error}"
        else:
            info.update(
                compiled=True,
                compiler=" ".join([COMPILER, *COMPILER_FLAGS]),
                params=TL2CGEN_PARAMS,
                sort_rows_by=sort_rows_by,
                platform=f"{platform.system()}-{platform.machine()}",
                seconds=round(time.perf_counter() - start, 1),
            )
    if reason is not None:
        info["reason"] = reason
    (directory / INFO).write_text(json.dumps(info, indent=2) + "\n")
    return info


def _most_split_feature(model: Any) -> int | None:
    """The input-matrix column the most tree nodes split on (None for trees of single leaves).
    Read with Treelite's tree accessors: its JSON dump writes an infinite threshold as nothing."""
    trees = [model.get_tree_accessor(i) for i in range(model.num_tree)]
    splits = np.concatenate([tree.get_field("split_index")[tree.get_field("cleft") != -1] for tree in trees])
    return int(np.bincount(splits).argmax()) if splits.size else None


def built_from(directory: Path, model_file: Path) -> bool:
    """``directory`` holds compile_to's output for exactly this model file."""
    info = Path(directory) / INFO
    return info.exists() and json.loads(info.read_text()).get("model_md5") == model_digest(model_file)


def load(directory: Path | None, model_file: Path) -> Callable[[np.ndarray], np.ndarray] | None:
    """The compiled trees as a scorer of the estimator's input matrix (the positive class's
    probability, or the number), or None when there are none usable here (with a warning saying why)."""
    if directory is None or not (Path(directory) / INFO).exists():
        return None
    info = json.loads((Path(directory) / INFO).read_text())
    if not info.get("compiled"):
        return None  # compile_to already said why, where it ran
    if not built_from(directory, model_file):
        warnings.warn(f"{directory} was compiled from another model: not used", stacklevel=2)
        return None
    import tl2cgen

    try:
        predictor = tl2cgen.Predictor(str(Path(directory) / LIBRARY), nthread=1)
    except (tl2cgen.TL2cgenError, OSError) as error:
        built_on = info.get("platform")
        warnings.warn(f"compiled trees built on {built_on} do not load here ({error}): not used", stacklevel=2)
        return None
    # One call at a time per predictor: the service scores from a thread pool, and a worker
    # process has one core anyway.
    lock = threading.Lock()
    sort_by = info.get("sort_rows_by")

    def walk(features: np.ndarray) -> np.ndarray:
        matrix = tl2cgen.DMatrix(np.ascontiguousarray(features, dtype="float64"), dtype="float64")
        with lock:
            return predictor.predict(matrix)[:, 0, 0]

    def score(features: np.ndarray) -> np.ndarray:
        if sort_by is None or len(features) < SORTED_FROM_ROWS:
            return walk(features)
        order = np.argsort(features[:, sort_by])
        answers = np.empty(len(features), dtype="float64")
        answers[order] = walk(features[order])
        return answers

    return score
