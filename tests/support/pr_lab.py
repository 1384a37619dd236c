"""A pull-request lab: a project repo whose main has a committed pipeline result, a fake GitHub, and
helpers to open/push PR branches and run the real pr.yml / pr-comment.yml on them with act.

Used by the end-to-end tests (tests/e2e) and the PR-loop benchmark (benchmarks/pr_loop.py).
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

from tests.support.act import ActResult, lock_cml_to_stand_in, main_with_pipeline_result, run_workflow, seed_cache
from tests.support.events import pull_request_event, workflow_run_event
from tests.support.fake_github import FakeGitHub
from tests.support.git import git_sha
from tests.support.project import commit_all, make_repo, run, set_params

PR_WORKFLOW = ".github/workflows/pr.yml"
COMMENT_WORKFLOW = ".github/workflows/pr-comment.yml"
ARTIFACT = "pr-report"


class PullRequestLab:
    """``reproduced``: an already reproduced and committed project repo to start from (copied, not
    changed), e.g. the test session's ``reproduced_repo``; without it the lab runs the pipeline."""

    def __init__(self, root: Path, reproduced: Path | None = None):
        self.root = root
        self.github = FakeGitHub(root / "github").start()
        self.store = root / "store"  # what the stand-ins keep across runs: caches, artifacts
        if reproduced is None:
            reproduced = make_repo(root / "base")
            run(["dvc", "repro"], reproduced)
            commit_all(reproduced, "pipeline result on main")
        self.repo = main_with_pipeline_result(reproduced, root / "repo", self.github)
        lock_cml_to_stand_in(self.repo, self.github)
        self.base_sha = git_sha(self.repo, "main")
        # What a run on main would have saved (restore-keys match it): PR builds start warm.
        seed_cache(self.store, "dvc-Linux-main", [self.repo / ".dvc" / "cache"])

    def close(self) -> None:
        self.github.stop()

    def push(self, branch: str, params: dict[str, Any], message: str) -> str:
        """Commit a params change on ``branch`` (created from main when new); returns the head sha."""
        exists = (
            subprocess.run(
                ["git", "rev-parse", "--verify", "--quiet", branch], cwd=self.repo, capture_output=True
            ).returncode
            == 0
        )
        run(["git", "checkout", "-q", branch] if exists else ["git", "checkout", "-q", "-b", branch, "main"], self.repo)
        set_params(self.repo, params)
        commit_all(self.repo, message)
        return git_sha(self.repo)

    def build(
        self,
        branch: str,
        number: int,
        run_id: int,
        *,
        head_repo: str = "contributor/repo",
        secrets: dict[str, str] | None = None,
        variables: dict[str, str] | None = None,
    ) -> ActResult:
        """The ``report`` job of pr.yml for PR ``number`` at the head of ``branch``."""
        run(["git", "checkout", "-q", branch], self.repo)
        event = pull_request_event(
            number, head_sha=git_sha(self.repo), head_ref=branch, base_sha=self.base_sha, head_repo=head_repo
        )
        return run_workflow(
            self.repo,
            PR_WORKFLOW,
            "pull_request",
            event,
            github=self.github,
            store=self.store,
            run_id=run_id,
            job="report",
            secrets=secrets,
            variables=variables,
        )

    def post(
        self, build: ActResult, head_sha: str, branch: str, run_id: int, variables: dict[str, str] | None = None
    ) -> ActResult:
        """pr-comment.yml for a completed build (it runs from main, as workflow_run does)."""
        run(["git", "checkout", "-q", "main"], self.repo)
        event = workflow_run_event(
            build.run_id,
            workflow="Pull request",
            conclusion="success" if build.succeeded else "failure",
            head_sha=head_sha,
            head_branch=branch,
        )
        return run_workflow(
            self.repo,
            COMMENT_WORKFLOW,
            "workflow_run",
            event,
            github=self.github,
            store=self.store,
            run_id=run_id,
            variables=variables,
        )
