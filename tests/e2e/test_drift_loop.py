"""The loop on one machine: serve the Bento, replay later months' traffic, check the logs, find drift.

Real pieces only: the project after `dvc repro` (test sample), the Bento built from it (`make
bento`'s steps, private BentoML store), `bentoml serve` of that Bento on a free loopback port,
`python -m gitops_ml.drift.replay` sending the production window's flights (Oct-Dec), and the drift
check reading the inference logs the service wrote with bentoml.monitor.
"""

from __future__ import annotations

import json

import pytest

from gitops_ml.drift import decision
from tests.support.project import run
from tests.support.serving import build_bento, read_log_lines, serving

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("drift-loop")]
ROWS = 3000


def test_served_traffic_from_autumn_drifts_in_the_weather_columns(workspace, tmp_path):
    home, logs = tmp_path / "bentoml", tmp_path / "monitoring"
    tag = build_bento(workspace, home)
    with serving(tag, workspace, home, logs) as url:
        replayed = run(
            ["python", "-m", "gitops_ml.drift.replay", "--url", url, "--rows", str(ROWS), "--batch-size", "250"],
            workspace,
        )
    assert f"{ROWS} of {ROWS} records scored" in replayed.stdout, replayed.stdout + replayed.stderr
    assert len(read_log_lines(logs)) == ROWS

    out = tmp_path / "out"
    checked = run(
        ["python", "-m", "gitops_ml.drift", "--source", "logs", "--out", str(out)],
        workspace,
        INFERENCE_LOG_DIR=str(logs),
    )
    assert "Drift detected" in checked.stdout
    summary = json.loads((out / "summary.json").read_text())
    assert summary["current"]["rows"] == ROWS and "inference logs" in summary["current"]["description"]
    assert summary["decision"]["status"] == decision.DRIFT
    assert {"temp", "dewp"} <= set(summary["decision"]["drifted_columns"])
    assert summary["prediction"] is not None  # the served probabilities were compared too
    assert (out / "report.html").exists()
