"""`python -m gitops_ml.report`: its IO edge in a real (small, DVC-less) git repository, and links."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest
import yaml

from gitops_ml.report import cli as report
from gitops_ml.report.cli import mlflow_run_url, pull_request_number, workflow_run_url
from tests.support.project import ROOT

METRICS = {
    "roc_auc": 0.74,
    "pr_auc": 0.47,
    "f1": 0.48,
    "log_loss": 0.47,
    "brier": 0.15,
    "latency_single_row_ms_p50": 2.0,
}


def git(repo, *args):
    subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True)


@pytest.fixture
def repo(tmp_path, monkeypatch):
    """A git repo with the project's params.yaml committed on main, and nothing else yet."""
    monkeypatch.chdir(tmp_path)
    for name in (
        "GITHUB_REF",
        "PR_HEAD_SHA",
        "GITHUB_HEAD_REF",
        "GITHUB_RUN_ID",
        "MLFLOW_TRACKING_URI",
        "MLFLOW_EXPERIMENT_NAME",
        "SCHEMA_FILE",
    ):
        monkeypatch.delenv(name, raising=False)
    shutil.copy(ROOT / "params.yaml", tmp_path / "params.yaml")
    git(tmp_path, "init", "-q", "-b", "main")
    git(tmp_path, "-c", "user.name=t", "-c", "user.email=t@example.com", "add", "-A")
    git(tmp_path, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-q", "-m", "params")
    return tmp_path


def write_metrics(repo, metrics):
    (repo / "reports").mkdir(exist_ok=True)
    (repo / "reports/metrics.json").write_text(json.dumps(metrics))


def test_unknown_base_revision_is_a_usage_error(repo, capsys):
    write_metrics(repo, METRICS)
    assert report.main(["--base", "no-such-branch"]) == 2
    assert "unknown git revision 'no-such-branch'" in capsys.readouterr().err
    assert not (repo / "build/report/report.md").exists()


def test_outside_a_git_repository_is_a_usage_error(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path.parent))  # don't find an enclosing repo
    assert report.main(["--base", "main"]) == 2
    assert "not inside a git repository" in capsys.readouterr().err


def test_no_current_metrics_is_a_usage_error(repo, capsys):
    assert report.main(["--base", "main"]) == 2
    assert "run `dvc repro` first" in capsys.readouterr().err


def test_first_pr_report_files(repo, capsys):
    """main has params but no metrics: the report says so and verdict.json records it."""
    write_metrics(repo, METRICS)
    (repo / "reports/figures").mkdir()
    (repo / "reports/figures/roc.png").write_bytes(b"\x89PNG not really")
    out = repo / "out"

    assert report.main(["--base", "main", "--out", str(out)]) == 0

    verdict = json.loads((out / "verdict.json").read_text())
    assert verdict == {
        "passed": True,
        "headline": "✅ Quality gate passed (no baseline metrics: checked against absolute limits only)",
        "base": "main",
        "base_has_metrics": False,
        "paired": False,
        "comparison_note": "no base results to compare with",
        "changes": {},
        "regressed_slices": [],
    }
    markdown = (out / "report.md").read_text()
    assert "`main` has no committed metrics yet" in markdown
    assert "**Data:** could not compare DVC-tracked files with `main`" in markdown  # not a DVC repo
    assert "![" not in markdown
    assert (out / "figures/roc.png").read_bytes() == b"\x89PNG not really"
    assert f"wrote {out / 'report.md'}" in capsys.readouterr().out


def test_regression_against_committed_base_metrics_renders_and_exits_0(repo, monkeypatch):
    write_metrics(repo, METRICS)
    git(repo, "add", "-A")
    git(repo, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-q", "-m", "metrics")
    write_metrics(repo, {**METRICS, "roc_auc": 0.70})
    (repo / "reports/figures").mkdir()
    (repo / "reports/figures/roc.png").write_bytes(b"png")
    (repo / "models").mkdir()
    (repo / "models/model.json").write_text(json.dumps({"mlflow_run_id": "0a1b2c"}))
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "https://ci:s3cret@mlflow.example.com")
    monkeypatch.setenv("GITHUB_SERVER_URL", "https://github.com")
    monkeypatch.setenv("GITHUB_REPOSITORY", "acme/flights")
    monkeypatch.setenv("GITHUB_RUN_ID", "99")
    monkeypatch.setenv("GITHUB_REF", "refs/pull/5/merge")
    monkeypatch.setenv("PR_HEAD_SHA", "f" * 40)

    assert report.main(["--base", "main", "--images"]) == 0  # the gate CLI is what fails the check

    verdict = json.loads((repo / "build/report/verdict.json").read_text())
    assert verdict["passed"] is False and verdict["base_has_metrics"] is True
    assert "roc_auc got worse by 0.04" in verdict["headline"]
    markdown = (repo / "build/report/report.md").read_text()
    assert "| `roc_auc` | 0.7400 | 0.7000 | -0.0400 |" in markdown
    assert "![roc](figures/roc.png)" in markdown
    assert "- MLflow run (experiment `flight-delay`): https://mlflow.example.com/#/runs/0a1b2c" in markdown
    assert "s3cret" not in markdown
    assert "https://github.com/acme/flights/actions/runs/99" in markdown
    assert f"git fetch origin pull/5/head\ngit checkout {'f' * 40}\n" in markdown


REGRESSION_SCHEMA = """
task: regression
target: price
columns:
  - {name: size, kind: float}
  - {name: price, kind: float, role: target}
"""


@pytest.mark.parametrize("card", [{"task": "regression"}, {}], ids=["task from the card", "task from the metrics"])
def test_regression_report_follows_the_task_and_names_the_schema_target(repo, card):
    params = yaml.safe_load((repo / "params.yaml").read_text())
    params["gate"]["metrics"] = {"rmse": {"abs_tolerance": 0.5}}
    (repo / "params.yaml").write_text(yaml.safe_dump(params))
    (repo / "schema.yaml").write_text(REGRESSION_SCHEMA)
    write_metrics(repo, {"rmse": 12.5, "mae": 9.0, "r2": 0.41, "rows": 300})
    (repo / "reports/split.json").write_text(json.dumps({"train": {"rows": 700, "target_mean": 151.0}}))
    (repo / "reports/plots").mkdir()
    bins = [{"mean_predicted": 100.0 + 10 * i, "mean_actual": 101.0 + 10 * i, "rows": 15} for i in range(20)]
    (repo / "reports/plots/predicted_vs_actual.json").write_text(json.dumps(bins))
    (repo / "models").mkdir()
    (repo / "models/model.json").write_text(json.dumps(card))

    assert report.main(["--base", "main"]) == 0

    markdown = (repo / "build/report/report.md").read_text()
    assert "| RMSE | `rmse` | 12.50 | ✅ |" in markdown
    assert "| train | — | 700 | — | — | 151 |" in markdown and "price mean PR" in markdown
    assert 'x-axis "mean predicted price" 100 --> 290' in markdown
    assert "ROC" not in markdown and "Confusion" not in markdown


@pytest.mark.parametrize(
    ("uri", "url"),
    [
        ("http://127.0.0.1:5000", "http://127.0.0.1:5000/#/runs/abc123"),
        ("https://mlflow.example.com/root/", "https://mlflow.example.com/root/#/runs/abc123"),
        ("https://user:secret@mlflow.example.com", "https://mlflow.example.com/#/runs/abc123"),
        ("sqlite:///mlflow.db", None),
        ("databricks", None),
        ("", None),
        (None, None),
    ],
)
def test_mlflow_link_only_for_a_server_and_never_with_credentials(uri, url):
    assert mlflow_run_url(uri, "abc123") == url


def test_mlflow_link_needs_a_plain_run_id():
    assert mlflow_run_url("https://m.example", None) is None
    assert mlflow_run_url("https://m.example", "x)](https://evil") is None


def test_workflow_run_link_and_pull_request_number():
    env = {"GITHUB_SERVER_URL": "https://github.com", "GITHUB_REPOSITORY": "o/r", "GITHUB_RUN_ID": "42"}
    assert workflow_run_url(env) == "https://github.com/o/r/actions/runs/42"
    assert workflow_run_url({**env, "GITHUB_RUN_ID": ""}) is None
    assert pull_request_number({"GITHUB_REF": "refs/pull/17/merge"}) == "17"
    assert pull_request_number({"GITHUB_REF": "refs/heads/main"}) is None
