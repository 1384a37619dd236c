"""pr-comment.yml alone, run by act against the fake GitHub: what the poster does with a report
artifact a pull-request run left (or did not leave).

No pipeline runs here: the artifact is put where the download-artifact stand-in finds a run's
artifacts, as pr.yml's upload would have. CML is the stand-in of tests/support/shims/cml (the real
package is not installable offline), installed by the workflow's own `npm ci` from a lockfile
resolved against the fake npm registry; like CML 0.20.6 it reads only the first page of a pull
request's comments when it looks for its own. The fake GitHub pages lists 30 at a time with
GitHub's Link headers. With CML_PUBLISH_PLOTS on, the stand-in uploads the report's PNGs as CML
does, to the asset-host stand-in of tests/support/asset_host.py, which the runner's environment
names through CML's own CML_COMMENT_PUBLISH_URL (the workflow is unchanged).
"""

from __future__ import annotations

import io
import re
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from matplotlib.image import imsave

from gitops_ml.report.sections.details import figures_section
from tests.support.act import lock_cml_to_stand_in, run_workflow
from tests.support.asset_host import AssetHost
from tests.support.events import workflow_run_event
from tests.support.fake_github import FakeGitHub
from tests.support.git import set_origin
from tests.support.project import make_repo, run

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("comment-act")]

WORKFLOW = ".github/workflows/pr-comment.yml"
HEAD = "c0ffee" + "0" * 34
WATERMARK = '"CML watermark Model report")'


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    root = tmp_path_factory.mktemp("comment-lab")
    github = FakeGitHub(root / "github").start()
    repo = make_repo(root / "repo")
    github.create_git_repo()
    set_origin(repo, github)
    run(["git", "push", "-q", "origin", "main"], repo, **github.git_env())
    lock_cml_to_stand_in(repo, github)
    yield repo, github, root / "store"
    github.stop()


def leave_report(store: Path, run_id: int, number: int, text: str, files: dict[str, bytes] | None = None) -> None:
    """What pr.yml's run ``run_id`` uploads as its ``pr-report`` artifact (``files``: more of build/report/)."""
    artifact = store / "artifacts" / str(run_id) / "pr-report"
    artifact.mkdir(parents=True)
    (artifact / "report.md").write_text(text)
    (artifact / "pr-number.txt").write_text(f"{number}\n")
    for name, content in (files or {}).items():
        (artifact / name).parent.mkdir(parents=True, exist_ok=True)
        (artifact / name).write_bytes(content)


def post(lab, build_run: int, run_id: int, conclusion: str = "success", **options):
    repo, github, store = lab
    event = workflow_run_event(build_run, workflow="Pull request", conclusion=conclusion, head_sha=HEAD,
                               head_branch="tune")  # fmt: skip
    return run_workflow(repo, WORKFLOW, "workflow_run", event, github=github, store=store, run_id=run_id, **options)


def reports(github: FakeGitHub, number: int) -> list[dict]:
    return [c for c in github.comments(number) if WATERMARK in c["body"]]


def test_a_pull_request_with_40_comments_keeps_one_report(lab):
    _, github, store = lab
    github.add_pull(1, head_sha=HEAD, head_ref="tune", head_repo="contributor/repo")
    for index in range(35):
        github.add_comment(1, f"review remark {index}", user="reviewer")
    leave_report(store, 11, 1, "### Model report\n\nfirst push\n")
    first = post(lab, 11, 12)
    assert first.succeeded, first.log[-6000:]
    [report] = reports(github, 1)  # the 36th comment: off the first page
    for index in range(5):
        github.add_comment(1, f"later remark {index}", user="reviewer")

    leave_report(store, 21, 1, "### Model report\n\nsecond push\n")
    second = post(lab, 21, 22)
    assert second.succeeded, second.log[-6000:]
    [latest] = reports(github, 1)
    assert "second push" in latest["body"]
    assert len(github.comments(1)) == 41  # 40 remarks and one report
    # CML read the first page (30) only and posted a second report; the poster then listed every
    # page, found the older copy and deleted it.
    assert len(github.calls("POST", r"/issues/1/comments$")) == 2
    assert [call.path for call in github.calls("DELETE")] == [
        f"/api/v3/repos/owner/repo/issues/comments/{report['id']}"
    ]


def test_a_run_that_uploaded_no_report_ends_with_a_notice(lab):
    _, github, _ = lab
    github.add_pull(2, head_sha=HEAD, head_ref="broken", head_repo="contributor/repo")
    result = post(lab, 31, 32, conclusion="failure")  # run 31 died before its upload step
    assert result.succeeded, result.log[-6000:]
    assert result.job_results == {"comment": "success"}
    assert result.step_results["download"] == "failure"  # continue-on-error: the job stays green
    assert "uploaded no report" in result.log  # the notice
    assert "pr" not in result.step_results  # nothing else ran
    assert github.comments(2) == []


def png(seed: int) -> bytes:
    """A small real PNG, different per seed (the asset host addresses uploads by content)."""
    buffer = io.BytesIO()
    imsave(buffer, np.random.default_rng(seed).random((4, 4)), format="png")
    return buffer.getvalue()


FIGURES = {"calibration.png": png(1), "roc_curve.png": png(2)}
REPORT = "### Model report\n\nmetrics and tables\n"


def report_with_figures(comment_extra: str = "") -> dict[str, bytes]:
    """build/report/ as pr.yml leaves it with CML_PUBLISH_PLOTS on: comment.md is the report with
    the PNGs linked (rendered by the report's own figures section), figures/ beside it."""
    # figures_section reads only these three fields of the report's inputs.
    images = figures_section(SimpleNamespace(images=True, figures=sorted(FIGURES), figures_dir="figures"))
    files = {f"figures/{name}": content for name, content in FIGURES.items()}
    return {**files, "comment.md": f"{REPORT}\n{images}\n{comment_extra}".encode()}


@pytest.fixture
def assets():
    host = AssetHost().start()
    yield host
    host.stop()


def test_published_plots_link_to_the_asset_host(lab, assets):
    _, github, store = lab
    github.add_pull(3, head_sha=HEAD, head_ref="tune", head_repo="contributor/repo")
    leave_report(store, 41, 3, REPORT, report_with_figures())
    result = post(lab, 41, 42, variables={"CML_PUBLISH_PLOTS": "true"}, env=assets.env())
    assert result.succeeded, result.log[-6000:]

    [comment] = reports(github, 3)
    body = comment["body"]
    assert "metrics and tables" in body and "figures/" not in body
    uploaded = {upload.disposition: upload for upload in assets.uploads}
    assert sorted(uploaded) == [f'inline; filename="{name}"' for name in sorted(FIGURES)]
    for name, content in FIGURES.items():
        upload = uploaded[f'inline; filename="{name}"']
        assert (upload.content, upload.content_type) == (content, "image/png")
        alt = Path(name).stem.replace("_", " ")
        link = rf"!\[{alt}\]\({re.escape(assets.url)}/{upload.digest}\?cml=png&cache-bypass=[0-9a-f-]{{36}}\)"
        assert re.search(link, body), body


def test_plots_are_not_published_unless_the_variable_is_on(lab, assets):
    _, github, store = lab
    github.add_pull(4, head_sha=HEAD, head_ref="tune", head_repo="contributor/repo")
    leave_report(store, 51, 4, REPORT, report_with_figures())
    result = post(lab, 51, 52, env=assets.env())  # CML_PUBLISH_PLOTS unset: the default
    assert result.succeeded, result.log[-6000:]

    [comment] = reports(github, 4)
    assert comment["body"].startswith(REPORT)  # report.md, which links no image
    assert "figures/" not in comment["body"] and assets.url not in comment["body"]
    assert assets.uploads == []


def test_a_comment_linking_other_local_files_is_posted_without_images(lab, assets):
    """CML would upload every local file the markdown links: with one outside figures/, the
    workflow posts the image-free report instead and says why."""
    _, github, store = lab
    github.add_pull(5, head_sha=HEAD, head_ref="tune", head_repo="contributor/repo")
    leave_report(store, 61, 5, REPORT, report_with_figures("[data](pr-number.txt)\n"))
    result = post(lab, 61, 62, variables={"CML_PUBLISH_PLOTS": "true"}, env=assets.env())
    assert result.succeeded, result.log[-6000:]

    assert "Not publishing images: the report links local files outside figures/." in result.log
    [comment] = reports(github, 5)
    assert comment["body"].startswith(REPORT) and "figures/" not in comment["body"]
    assert assets.uploads == []
