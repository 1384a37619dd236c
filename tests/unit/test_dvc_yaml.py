"""dvc.yaml and the code agree: every stage runs its own module, and paths match paths.py."""

from __future__ import annotations

import importlib

import yaml

from gitops_ml import paths
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
    sections = {name: [name] for name in DVC["stages"]} | {"ingest": ["data"]}
    assert {name: stage.get("params") for name, stage in DVC["stages"].items()} == sections


def test_declared_outputs_are_the_paths_the_code_writes():
    outs = set()
    for stage in DVC["stages"].values():
        outs |= _names(stage.get("outs", [])) | _names(stage.get("metrics", []))
    expected = {
        paths.RAW,
        paths.VALIDATION_REPORT,
        paths.SPLIT_SUMMARY,
        paths.MODEL,
        paths.MODEL_CARD,
        paths.METRICS,
        paths.SLICES,
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
    for plot in DVC["plots"]:
        (spec,) = plot.values()
        for file in spec["y"]:
            assert file.startswith(paths.PLOTS_DIR.as_posix() + "/")
            assert (ROOT / file).exists(), file
