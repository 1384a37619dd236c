"""The loop on one machine: serve the Bento, replay the production window's traffic, check the logs, find drift.

Real pieces only: the project after `dvc repro` (data generated from schema.yaml, whose production
window drifts: tests/support/project.py), the Bento built from it (`make bento`'s steps, private
BentoML store), `bentoml serve` of that Bento on a free loopback port, `python -m
gitops_ml.drift.replay` sending the production window's records, and the drift check reading the
inference logs the service wrote with bentoml.monitor.
"""

from __future__ import annotations

import json

import pytest

from gitops_ml.drift import decision
from tests.support.data import contract
from tests.support.project import run
from tests.support.serving import build_bento, read_log_lines, serving

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("drift-loop")]


def test_served_traffic_from_the_production_window_drifts(workspace, tmp_path):
    home, logs = tmp_path / "bentoml", tmp_path / "monitoring"
    rows = json.loads((workspace / "reports/split.json").read_text())["production"]["rows"]  # all of it
    tag = build_bento(workspace, home)
    with serving(tag, workspace, home, logs) as url:
        replayed = run(
            ["python", "-m", "gitops_ml.drift.replay", "--url", url, "--rows", str(rows), "--batch-size", "250"],
            workspace,
        )
    assert f"{rows} of {rows} records scored" in replayed.stdout, replayed.stdout + replayed.stderr
    assert len(read_log_lines(logs)) == rows

    out = tmp_path / "out"
    checked = run(
        ["python", "-m", "gitops_ml.drift", "--source", "logs", "--out", str(out)],
        workspace,
        INFERENCE_LOG_DIR=str(logs),
    )
    assert "Drift detected" in checked.stdout
    summary = json.loads((out / "summary.json").read_text())
    assert summary["current"]["rows"] == rows and "inference logs" in summary["current"]["description"]
    assert summary["decision"]["status"] == decision.DRIFT
    numeric = {c.name for c in contract().drift_columns() if c.numeric}
    assert numeric and numeric <= set(summary["decision"]["drifted_columns"])  # every shifted input is found
    assert summary["prediction"] is not None  # the served predictions were compared too
    assert (out / "report.html").exists()
