"""Keep one GitHub issue in step with the drift decision, and dispatch the retrain workflow.

The decision of what to do is pure (``plan``); ``GitHub`` is a thin httpx client at the edge.

- drift, no open ``drift`` issue   -> open one (label ``drift``) with the summary;
- drift, an open ``drift`` issue   -> comment on it with the new summary (never a second issue;
                                      with several open, the oldest is the one kept up to date);
- no drift, an open ``drift`` issue -> comment that drift cleared, and close it: an open ``drift``
                                      issue then always means "drifting now"; if drift returns, a
                                      new issue opens and the closed one keeps the history;
- otherwise (no drift and no issue, or not enough data) -> nothing.

Environment (set by GitHub Actions): ``GITHUB_TOKEN`` (needs ``issues: write``; ``actions: write``
to dispatch), ``GITHUB_API_URL``, ``GITHUB_REPOSITORY``; ``GITHUB_SERVER_URL`` and ``GITHUB_RUN_ID``
make the link to the run that holds the HTML report.

    python -m gitops_ml.drift.github issue [--summary build/drift/summary.json]
    python -m gitops_ml.drift.github dispatch retrain.yml --ref main
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import httpx

from gitops_ml.drift import check, decision

LABEL = "drift"
TITLE = "Data drift detected"
MAX_BODY = 60_000  # GitHub rejects issue/comment bodies over 65,536 characters


@dataclass(frozen=True)
class Action:
    kind: Literal["open", "comment", "resolve", "none"]
    issue: int | None = None  # the issue to comment on / close
    title: str = ""
    body: str = ""


def _clip(text: str) -> str:
    return text if len(text) <= MAX_BODY else text[:MAX_BODY] + "\n\n*(truncated: see the full report)*\n"


def plan(open_issues: list[dict], status: str, markdown: str) -> Action:
    """What to do on GitHub, given the open issues labelled ``drift`` and this run's status."""
    issues = sorted((issue for issue in open_issues if "pull_request" not in issue), key=lambda i: i["number"])
    current = issues[0]["number"] if issues else None
    if status == decision.DRIFT:
        if current is None:
            return Action("open", title=TITLE, body=_clip(markdown))
        return Action("comment", current, body=_clip("Drift is still present in the latest check.\n\n" + markdown))
    if status == decision.NO_DRIFT and current is not None:
        body = "Drift has cleared: the latest check found none. Closing; a new issue opens if it returns.\n\n"
        return Action("resolve", current, body=_clip(body + markdown))
    return Action("none")


class GitHubError(RuntimeError):
    """The GitHub API refused a call; the message has the status and GitHub's own words."""


class GitHub:
    def __init__(self, api_url: str, repository: str, token: str, client: httpx.Client | None = None):
        self.repo_path = f"/repos/{repository}"
        self.client = client or httpx.Client(
            base_url=api_url.rstrip("/"),
            headers={
                "Authorization": f"Bearer {token}",
                "Accept": "application/vnd.github+json",
                "X-GitHub-Api-Version": "2022-11-28",
            },
            timeout=30,
        )

    @classmethod
    def from_env(cls) -> GitHub:
        missing = [name for name in ("GITHUB_TOKEN", "GITHUB_REPOSITORY") if not os.environ.get(name)]
        if missing:
            raise GitHubError(f"{' and '.join(missing)} must be set (GitHub Actions sets them)")
        api_url = os.environ.get("GITHUB_API_URL") or "https://api.github.com"
        return cls(api_url, os.environ["GITHUB_REPOSITORY"], os.environ["GITHUB_TOKEN"])

    def _call(self, method: str, path: str, **kwargs) -> httpx.Response:
        try:
            response = self.client.request(method, path, **kwargs)
        except httpx.HTTPError as error:
            raise GitHubError(f"{method} {path}: {error}") from None
        if response.status_code >= 400:
            try:
                message = response.json().get("message", response.text)
            except ValueError:
                message = response.text
            raise GitHubError(f"{method} {path}: HTTP {response.status_code}: {message}")
        return response

    def open_issues(self, label: str = LABEL) -> list[dict]:
        issues: list[dict] = []
        url: str | None = f"{self.repo_path}/issues"
        params: dict | None = {"state": "open", "labels": label, "per_page": 100}
        while url:
            response = self._call("GET", url, params=params)
            issues += response.json()
            url = response.links.get("next", {}).get("url")
            params = None  # the next link carries the query
        return issues

    def create_issue(self, title: str, body: str, labels: list[str]) -> dict:
        return self._call(
            "POST", f"{self.repo_path}/issues", json={"title": title, "body": body, "labels": labels}
        ).json()

    def comment(self, number: int, body: str) -> dict:
        return self._call("POST", f"{self.repo_path}/issues/{number}/comments", json={"body": body}).json()

    def close(self, number: int) -> dict:
        payload = {"state": "closed", "state_reason": "completed"}
        return self._call("PATCH", f"{self.repo_path}/issues/{number}", json=payload).json()

    def dispatch(self, workflow: str, ref: str, inputs: dict | None = None) -> None:
        payload = {"ref": ref, **({"inputs": inputs} if inputs else {})}
        self._call("POST", f"{self.repo_path}/actions/workflows/{workflow}/dispatches", json=payload)


def _issue(action: Action) -> int:
    if action.issue is None:
        raise ValueError(f"a {action.kind!r} action needs the issue's number")
    return action.issue


def apply(github: GitHub, action: Action) -> str:
    """Carry out the plan; returns a line for the log."""
    if action.kind == "open":
        issue = github.create_issue(action.title, action.body, [LABEL])
        return f"opened issue #{issue['number']}: {issue.get('html_url', '')}"
    if action.kind == "comment":
        github.comment(_issue(action), action.body)
        return f"commented on issue #{action.issue}"
    if action.kind == "resolve":
        github.comment(_issue(action), action.body)
        github.close(_issue(action))
        return f"drift cleared: commented on and closed issue #{action.issue}"
    return "nothing to do on GitHub"


def run_url() -> str | None:
    server, repository, run_id = (
        os.environ.get(n) for n in ("GITHUB_SERVER_URL", "GITHUB_REPOSITORY", "GITHUB_RUN_ID")
    )
    if server and repository and run_id:
        return f"{server}/{repository}/actions/runs/{run_id} (artifact `drift-report`)"
    return None


def sync_issue(github: GitHub, summary: dict, report_url: str | None) -> str:
    markdown = decision.render_markdown(summary, report_url)
    action = plan(github.open_issues(), summary["decision"]["status"], markdown)
    return apply(github, action)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m gitops_ml.drift.github", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    issue = commands.add_parser("issue", help="open, update or resolve the drift issue from a summary")
    issue.add_argument("--summary", type=Path, default=check.OUT_DIR / check.SUMMARY_JSON)
    issue.add_argument("--report-url", help="link to the HTML report (default: this Actions run)")
    dispatch = commands.add_parser("dispatch", help="start a workflow_dispatch workflow")
    dispatch.add_argument("workflow", help="workflow file name, e.g. retrain.yml")
    dispatch.add_argument("--ref", required=True, help="branch to run it on")
    args = parser.parse_args(argv)

    try:
        github = GitHub.from_env()
        if args.command == "issue":
            try:
                summary = json.loads(args.summary.read_text())
            except (OSError, ValueError) as error:
                print(f"drift issue: cannot read {args.summary}: {error}", file=sys.stderr)
                return 2
            print(sync_issue(github, summary, args.report_url or run_url()))
        else:
            github.dispatch(args.workflow, args.ref)
            print(f"dispatched {args.workflow} on {args.ref}")
    except GitHubError as error:
        print(f"drift: GitHub: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
