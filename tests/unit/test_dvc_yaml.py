"""dvc.yaml and the code agree: every stage runs its own module, and paths match paths.py."""

from __future__ import annotations

import importlib
from pathlib import Path

import yaml

from gitops_ml import paths
from gitops_ml.stages.evaluate import PLOTS
from tests.support.project import ROOT

DVC = yaml.safe_load((ROOT / "dvc.yaml").read_text())


def _names(entries) -> set[str]:
    return {next(iter(e)) if isinstance(e, dict) else e for e in entries}


def test_each_stage_runs_its_module_and_depends_on_it():
    for name, stage in DVC["stages"].items():
        assert stage["cmd"] == f"python -m gitops_ml.stages.{name}"
        assert callable(importlib.import_module(f"gitops_ml.stages.{name}").main)
        assert f"src/gitops_ml/stages/{name}.py" in stage["deps"]


def test_each_stage_tracks_its_params_section():
    sections = {name: [name] for name in DVC["stages"]} | {
        "source": ["data.source", "data.options"],
        "ingest": ["data"],
        "train": ["project", "train"],
        "compile": None,  # nothing to set: it compiles what train fitted
    }
    assert {name: stage.get("params") for name, stage in DVC["stages"].items()} == sections


def test_declared_outputs_are_the_paths_the_code_writes():
    outs = set()
    for stage in DVC["stages"].values():
        outs |= _names(stage.get("outs", [])) | _names(stage.get("metrics", []))
    expected = {
        paths.SOURCE,
        paths.RAW,
        paths.VALIDATION_REPORT,
        paths.SPLIT_SUMMARY,
        paths.MODEL,
        paths.MODEL_CARD,
        paths.COMPILED,
        paths.METRICS,
        paths.SLICES,
        paths.PREDICTIONS,
        paths.PLOTS_DIR,
        paths.FIGURES_DIR,
    }
    expected |= {paths.split_file(name) for name in paths.SPLITS}
    assert outs == {p.as_posix() for p in expected}


def test_outputs_persist_so_a_failed_stage_keeps_the_last_good_ones():
    for name, stage in DVC["stages"].items():
        for entry in stage.get("outs", []) + stage.get("metrics", []):
            ((path, options),) = entry.items()
            assert options.get("persist") is True, f"{name}: {path}"


def test_plots_read_files_evaluate_writes():
    """Every plot dvc.yaml declares is one the evaluate stage writes for some task, and the
    shipped task's are all declared (the other task's files are absent until a team switches)."""
    declared = set()
    for plot in DVC["plots"]:
        (spec,) = plot.values()
        for file in spec["y"]:
            assert file.startswith(paths.PLOTS_DIR.as_posix() + "/")
            declared.add(Path(file).stem)
    written = {name for names in PLOTS.values() for name in names}
    assert declared == written
    shipped = {path.stem for path in (ROOT / paths.PLOTS_DIR).glob("*.json")}
    assert shipped <= declared and shipped
