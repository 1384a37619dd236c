"""The pull request report: this checkout's pipeline results compared with a base revision.

    python -m gitops_ml.report --base main                 # after `dvc repro`
    python -m gitops_ml.report --base origin/main --images # link the PNG plots (for cml --publish)

Writes ``<out>/report.md`` (the comment body), ``<out>/verdict.json`` and ``<out>/figures/*.png``.
The base side is read from what the base revision committed (metrics, slices, plot data, split
summary, params.yaml), so the base never has to be checked out or rerun. Exits 0 when the report
was rendered, whatever the gate says (``python -m gitops_ml.gate`` enforces it); 2 on a usage error.

This module is the IO edge (git, dvc, files, environment); the rendering is ``render``.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import yaml

from gitops_ml import paths
from gitops_ml.config import PARAMS_FILE, ConfigError, parse_params
from gitops_ml.gate import compare_with_revision, evaluate_gate
from gitops_ml.io import write_json, write_with
from gitops_ml.metric_catalogue import task_of
from gitops_ml.report.inputs import ReportInputs, Results
from gitops_ml.report.render import render, reproduce_commands, verdict_json
from gitops_ml.schema import SchemaError, load_schema

DEFAULT_OUT = Path("build/report")


class UsageError(RuntimeError):
    """Something the person running the command must fix; the message says what."""


def _git(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["git", *args], capture_output=True, text=True)


def resolve_revision(revision: str) -> str:
    if _git("rev-parse", "--git-dir").returncode != 0:
        raise UsageError("not inside a git repository: run from the repository root")
    found = _git("rev-parse", "--verify", "--quiet", f"{revision}^{{commit}}")
    if found.returncode != 0:
        raise UsageError(f"unknown git revision {revision!r} (is it fetched? try `git fetch origin {revision}`)")
    return found.stdout.strip()


def _parse(text: str, path: Path) -> Any:
    try:
        return yaml.safe_load(text) if path.suffix in (".yaml", ".yml") else json.loads(text)
    except (yaml.YAMLError, json.JSONDecodeError) as error:
        raise UsageError(f"{path} is not valid {path.suffix[1:].upper()}: {error}") from None


def read_at(revision: str, path: Path) -> Any:
    """A committed file, parsed; None when the revision does not have it."""
    shown = _git("show", f"{revision}:{path.as_posix()}")
    return _parse(shown.stdout, Path(f"{revision}:{path.as_posix()}")) if shown.returncode == 0 else None


def read_current(path: Path) -> Any:
    return _parse(path.read_text(), path) if path.is_file() else None


def read_results(read: Callable[[Path], Any], plot_names: list[str]) -> Results:
    return Results(
        metrics=read(paths.METRICS),
        params=read(PARAMS_FILE),
        slices=read(paths.SLICES),
        split=read(paths.SPLIT_SUMMARY),
        plots={name: data for name in plot_names if (data := read(paths.PLOTS_DIR / f"{name}.json")) is not None},
    )


def dvc_diff(revision: str) -> tuple[dict | None, str | None]:
    """``dvc diff --json REV``: what DVC-tracked outputs differ from the base; (None, why) on failure."""
    try:
        done = subprocess.run(["dvc", "diff", "--json", revision], capture_output=True, text=True, timeout=300)
    except (OSError, subprocess.TimeoutExpired) as error:
        return None, str(error)
    if done.returncode != 0:
        lines = (done.stderr or done.stdout).strip().splitlines()
        return None, lines[-1] if lines else f"dvc diff exited {done.returncode}"
    try:
        return json.loads(done.stdout or "{}"), None
    except json.JSONDecodeError:
        return None, "dvc diff printed no JSON"


def mlflow_run_url(tracking_uri: str | None, run_id: object) -> str | None:
    """A link to the run, only for an http(s) tracking server (a local sqlite store has no URL).

    Credentials in the URI (https://user:token@host) are dropped: the link ends up in a comment.
    MLflow's UI resolves the experiment of ``#/runs/<id>`` itself.
    """
    if not tracking_uri or not isinstance(run_id, str) or not re.fullmatch(r"[0-9a-zA-Z_-]+", run_id):
        return None
    parts = urlsplit(tracking_uri)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    host = parts.hostname + (f":{parts.port}" if parts.port else "")
    base = urlunsplit((parts.scheme, host, parts.path.rstrip("/"), "", ""))
    return f"{base}/#/runs/{run_id}"


def workflow_run_url(env: Mapping[str, str]) -> str | None:
    server, repository, run_id = (env.get(k) for k in ("GITHUB_SERVER_URL", "GITHUB_REPOSITORY", "GITHUB_RUN_ID"))
    if not (server and repository and run_id):
        return None
    return f"{server.rstrip('/')}/{repository}/actions/runs/{run_id}"


def pull_request_number(env: Mapping[str, str]) -> str | None:
    found = re.fullmatch(r"refs/pull/(\d+)/(merge|head)", env.get("GITHUB_REF", ""))
    return found.group(1) if found else None


def _short(sha: str) -> str:
    return sha[:7]


def target_and_classes(pr_card: dict, base_card: dict) -> tuple[str, tuple[object, object]]:
    """The target's name and (negative, positive) class: from schema.yaml, else the model cards."""
    try:
        contract = load_schema()
    except SchemaError:
        contract = None
    if contract is not None:
        target = contract.target
        negative, positive = contract.negative_label, contract.positive_label
    else:
        target = pr_card.get("target") or base_card.get("target") or "target"
        negative, positive = pr_card.get("negative_label"), pr_card.get("positive_label")
    return str(target), (0 if negative is None else negative, 1 if positive is None else positive)


def gather(base: str, env: Mapping[str, str], images: bool, figures: list[str]) -> ReportInputs:
    base_sha = resolve_revision(base)
    pr = read_results(read_current, sorted(p.stem for p in paths.PLOTS_DIR.glob("*.json")))
    if pr.metrics is None:
        raise UsageError(f"no current metrics at {paths.METRICS}: run `dvc repro` first")
    if not isinstance(pr.metrics, dict):
        raise UsageError(f"{paths.METRICS} must hold a JSON object of metrics")
    if pr.params is None:
        raise UsageError(f"no {PARAMS_FILE} here: run from the repository root")
    base_results = read_results(lambda path: read_at(base_sha, path), list(pr.plots))
    if base_results.metrics is not None and not isinstance(base_results.metrics, dict):
        raise UsageError(f"{base}:{paths.METRICS} must hold a JSON object of metrics")

    try:
        parsed = parse_params(pr.params, source=str(PARAMS_FILE))
    except ConfigError as error:
        raise UsageError(str(error)) from None
    rules = parsed.gate.metrics
    card = read_current(paths.MODEL_CARD)
    card = card if isinstance(card, dict) else {}
    base_card = read_at(base_sha, paths.MODEL_CARD)
    base_card = base_card if isinstance(base_card, dict) else {}
    task = task_of(card, base_card, pr.metrics)
    slices = (
        [r for r in pr.slices or [] if isinstance(r, dict)],
        [r for r in base_results.slices or [] if isinstance(r, dict)],
    )
    comparison = compare_with_revision(base_sha, parsed, pr.metrics, base_results.metrics, task, slices)
    verdict = evaluate_gate(pr.metrics, base_results.metrics, rules, comparison)
    diff, diff_error = dvc_diff(base_sha)

    head = _git("rev-parse", "HEAD").stdout.strip()
    head_sha = env.get("PR_HEAD_SHA") or head or None
    number = pull_request_number(env)
    fetch = f"pull/{number}/head" if number and env.get("PR_HEAD_SHA") else None
    branch = env.get("GITHUB_HEAD_REF") or _git("branch", "--show-current").stdout.strip()
    pr_label = " @ ".join(part for part in (branch, _short(head_sha or "")) if part)

    target, classes = target_and_classes(card, base_card)
    experiment = env.get("MLFLOW_EXPERIMENT_NAME") or parsed.experiment_name  # as tracking.configure
    return ReportInputs(
        base_rev=base,
        base=base_results,
        pr=pr,
        verdict=verdict,
        rules=rules,
        task=task,
        target=target,
        classes=classes,
        base_label=base if base_sha.startswith(base) else f"{base} @ {_short(base_sha)}",
        pr_label=pr_label,
        dvc_diff=diff,
        dvc_diff_error=diff_error,
        reproduce=reproduce_commands(head_sha, base, fetch),
        mlflow_run_url=mlflow_run_url(env.get("MLFLOW_TRACKING_URI"), card.get("mlflow_run_id")),
        mlflow_experiment=experiment,
        workflow_run_url=workflow_run_url(env),
        figures=figures,
        images=images,
        comparison=comparison,
        slice_significance=parsed.gate.slice_significance,
    )


def copy_figures(names: list[str], out: Path) -> None:
    """The PNG plots next to the report (for the workflow artifact and ``--images`` links)."""
    target = out / "figures"
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    for name in names:
        shutil.copy2(paths.FIGURES_DIR / name, target / name)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m gitops_ml.report", description=__doc__.split("\n")[0])
    parser.add_argument("--base", required=True, help="git revision to compare with (the PR's base branch)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"output directory (default: {DEFAULT_OUT})")
    parser.add_argument(
        "--images",
        action="store_true",
        help="link the PNG plots in the report, for `cml comment --publish` (off: nothing leaves the repository)",
    )
    args = parser.parse_args(argv)

    figures = sorted(figure.name for figure in paths.FIGURES_DIR.glob("*.png"))
    try:
        inputs = gather(args.base, os.environ, args.images, figures)
    except UsageError as error:
        print(f"report: {error}", file=sys.stderr)
        return 2
    copy_figures(figures, args.out)
    markdown = render(inputs)
    write_with(args.out / "report.md", lambda tmp: tmp.write_text(markdown))
    write_json(args.out / "verdict.json", verdict_json(inputs))
    print(f"report: {inputs.verdict.headline()}")
    print(f"report: wrote {args.out / 'report.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
