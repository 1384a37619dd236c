"""The deploy workflow's steps that talk to GitHub: push the image, push the GitOps change.

    python -m gitops_ml.deploy.publish image --local model-service:SHA --repository OWNER/REPO --tag SHA
        tags and pushes ghcr.io/owner/repo:SHA, prints ghcr.io/owner/repo@sha256:... (the digest)
    python -m gitops_ml.deploy.publish change --mode commit|pull-request --branch main --image REF
        pushes the deploy commit to the branch, or to deploy/<sha> with a pull request

The branch may have moved since the commit that triggered the deploy (a merge during the build,
another deploy's digest commit, or while the ``production`` environment waited for approval): the
push is then rejected. The digest is then recorded again on the branch's new tip (the same one-entry
change to the overlay, on top of whatever others committed) and pushed again, a bounded number of
times. Nothing is ever force-pushed to the branch.

Credentials come from the environment (``GITHUB_TOKEN``) and never appear in a command line:
git gets them through ``GIT_CONFIG_*`` variables, the API through a header.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

from gitops_ml.deploy import DeployError, cli
from gitops_ml.github import Client, GitHubError

REGISTRY = "ghcr.io"
PRODUCTION_OVERLAY = Path("deploy/overlays/production")  # as gitops.py; `publish image` runs without PyYAML
PUSH_ATTEMPTS = 5  # pushes raced by other commits to the branch before giving up
REJECTED = ("[rejected]", "non-fast-forward", "fetch first", "failed to update ref", "cannot lock ref")


def _run(args: list[str], env: dict[str, str] | None = None) -> str:
    result = subprocess.run(args, capture_output=True, text=True, env=env)
    if result.returncode != 0:
        raise DeployError(f"{' '.join(args[:3])} failed: {result.stderr.strip() or result.stdout.strip()}")
    return result.stdout.strip()


def registry_image(repository: str) -> str:
    """GHCR wants lower case; GitHub owners and repositories may have capitals."""
    return f"{REGISTRY}/{repository.lower()}"


def push_image(local: str, repository: str, tag: str) -> str:
    remote = f"{registry_image(repository)}:{tag}"
    _run(["docker", "tag", local, remote])
    _run(["docker", "push", remote])
    digests = json.loads(_run(["docker", "image", "inspect", "--format", "{{json .RepoDigests}}", remote]))
    mine = [digest for digest in digests if digest.startswith(registry_image(repository) + "@")]
    if not mine:
        raise DeployError(f"pushed {remote} but docker reports no digest for it ({digests})")
    return mine[0]


def _git_env(token: str, server_url: str) -> dict[str, str]:
    basic = base64.b64encode(f"x-access-token:{token}".encode()).decode()
    return {
        **os.environ,
        "GIT_CONFIG_COUNT": "1",
        "GIT_CONFIG_KEY_0": f"http.{server_url}/.extraheader",
        "GIT_CONFIG_VALUE_0": f"AUTHORIZATION: basic {basic}",
    }


def _git(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(["git", *args], capture_output=True, text=True, env=env)


def push_onto_tip(
    remote: str, branch: str, env: dict[str, str], image: str, overlay: Path, attempts: int = PUSH_ATTEMPTS
) -> int:
    """Push HEAD (the deploy commit) to ``branch`` without ever overwriting it: when the branch moved,
    record the digest again on its new tip and push that. Returns how many pushes it took (0: the
    new tip already runs ``image``, nothing to push)."""
    from gitops_ml.deploy.gitops import ImageReference, record_digest  # needs PyYAML: the deploy job has it

    reference = ImageReference.parse(image)
    source = os.environ.get("GITHUB_SHA") or _run(["git", "rev-parse", "HEAD~1"])
    for attempt in range(1, attempts + 1):
        pushed = _git(["push", remote, f"HEAD:refs/heads/{branch}"], env)
        if pushed.returncode == 0:
            return attempt
        output = pushed.stderr + pushed.stdout
        if not any(marker in output for marker in REJECTED):
            raise DeployError(f"git push to {branch} failed: {output.strip()}")
        fetched = _git(["fetch", "--quiet", remote, f"refs/heads/{branch}"], env)
        if fetched.returncode != 0:
            raise DeployError(f"{branch} moved and fetching it failed: {fetched.stderr.strip()}")
        _run(["git", "checkout", "--quiet", "--detach", "FETCH_HEAD"])
        print(f"{branch} moved during the deploy: recording the digest again on its tip", file=sys.stderr)
        if not record_digest(reference, overlay, commit=True, source_commit=source):
            return 0
    raise DeployError(f"{branch} kept moving: gave up after {attempts} pushes; rerun the deploy job")


def push_change(mode: str, branch: str, image: str, overlay: Path = PRODUCTION_OVERLAY) -> str:
    """Push HEAD (the deploy commit) to ``branch``, or open a pull request against it."""
    token = os.environ.get("GITHUB_TOKEN") or ""
    repository = os.environ.get("GITHUB_REPOSITORY") or ""
    server = os.environ.get("GITHUB_SERVER_URL", "https://github.com").rstrip("/")
    api = os.environ.get("GITHUB_API_URL", "https://api.github.com").rstrip("/")
    if not token or not repository:
        raise DeployError("GITHUB_TOKEN and GITHUB_REPOSITORY must be set")
    remote = f"{server}/{repository}.git"
    env = _git_env(token, f"{urlsplit(server).scheme}://{urlsplit(server).netloc}")
    if mode == "commit":
        attempts = push_onto_tip(remote, branch, env, image, overlay)
        if attempts == 0:
            return f"{branch} already runs {image}: nothing to push"
        sha = _run(["git", "rev-parse", "HEAD"])
        moved = f" (recorded again on {branch}'s new tip: it had moved)" if attempts > 1 else ""
        return f"pushed the deploy commit {sha[:12]} to {branch}{moved}"
    head = f"deploy/{_run(['git', 'rev-parse', '--short=12', 'HEAD'])}"
    _run(["git", "push", "--force", remote, f"HEAD:refs/heads/{head}"], env)  # our own branch
    subject, _, body = _run(["git", "log", "-1", "--format=%B"]).partition("\n")
    try:
        pull = Client(api, repository, token).create_pull(head, branch, subject, body.strip() + "\n\nMerge to deploy.")
    except GitHubError as error:
        raise DeployError(str(error)) from None
    return f"opened {pull.get('html_url', head)}"


@cli
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    image = commands.add_parser("image", help="push the tested image to GHCR; print its digest reference")
    image.add_argument("--local", required=True, help="the local image, e.g. model-service:SHA")
    image.add_argument("--repository", required=True, help="OWNER/REPO ($GITHUB_REPOSITORY)")
    image.add_argument("--tag", required=True, help="registry tag, e.g. the commit SHA")
    change = commands.add_parser("change", help="push the deploy commit, directly or as a pull request")
    change.add_argument("--mode", choices=["commit", "pull-request"], default="commit")
    change.add_argument("--branch", required=True, help="the branch the cluster syncs")
    change.add_argument("--image", required=True, help="REGISTRY/NAME@sha256:HEX, recorded again if the branch moved")
    change.add_argument("--overlay", type=Path, default=PRODUCTION_OVERLAY)
    args = parser.parse_args(argv)
    try:
        if args.command == "image":
            print(push_image(args.local, args.repository, args.tag))
        else:
            print(push_change(args.mode, args.branch, args.image, args.overlay))
    except DeployError as error:
        if os.environ.get("GITHUB_ACTIONS") == "true":  # an annotation on the run's page, too
            print(f"::error title=Deploy::{error}")
        raise
    return 0


if __name__ == "__main__":
    sys.exit(main())
