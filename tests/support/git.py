"""Git helpers for tests that run workflows: the sha of a revision, a repository's origin on the fake GitHub,
and a second clone that moves a branch on the remote (as another developer's merge would)."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.support.fake_github import FakeGitHub
from tests.support.project import commit_all, run


def set_origin(repo: Path, github: FakeGitHub) -> None:
    """Point ``origin`` at the fake (act takes ``github.repository`` from it)."""
    remotes = subprocess.run(["git", "remote"], cwd=repo, capture_output=True, text=True, check=True).stdout.split()
    verb = "set-url" if "origin" in remotes else "add"
    subprocess.run(["git", "remote", verb, "origin", github.repo_url], cwd=repo, check=True)


def git_sha(repo: Path, rev: str = "HEAD") -> str:
    return subprocess.run(
        ["git", "rev-parse", rev], cwd=repo, capture_output=True, text=True, check=True
    ).stdout.strip()


def move_branch(github: FakeGitHub, work: Path, branch: str, path: str, content: str, message: str) -> str:
    """Commit a change to ``path`` on the remote ``branch`` from a separate clone; returns the new tip."""
    run(["git", "clone", "-q", "--branch", branch, github.repo_url, str(work)], work.parent, **github.client_env())
    (work / path).parent.mkdir(parents=True, exist_ok=True)
    (work / path).write_text(content)
    commit_all(work, message)
    run(["git", "push", "-q", "origin", f"HEAD:refs/heads/{branch}"], work, **github.git_env())
    return git_sha(work)
