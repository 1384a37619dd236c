"""What changed: params and DVC-tracked data, with split sizes."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import PurePosixPath

from gitops_ml import paths
from gitops_ml.markdown import code, number, signed, table
from gitops_ml.report.deltas import _ABSENT, metric_delta, params_changes
from gitops_ml.report.inputs import TARGET_SUMMARY, ReportInputs, as_mapping


def _param_value(value: object) -> str:
    if value is _ABSENT:
        return "_(absent)_"
    return code(json.dumps(value, default=str))


def params_section(inputs: ReportInputs) -> str:
    if inputs.base.params is None:
        return f"{code(inputs.base_rev)} has no `params.yaml`; nothing to compare."
    changes = params_changes(inputs.base.params, inputs.pr.params)
    if not changes:
        return "No parameter changed."
    rows = [[code(key), _param_value(old), _param_value(new)] for key, old, new in changes]
    rendered = table(["param", "base", "PR"], rows)
    if any(key.startswith("gate.") for key, _, _ in changes):
        # The gate reads this PR's params.yaml: a PR can loosen its own check, so say it loudly.
        rendered += "\n\n⚠️ This PR changes the quality gate itself (`gate.*`): review those limits."
    return rendered


DATA_DIRS = (paths.RAW.parent.as_posix(), paths.SPLIT_DIR.as_posix())


def summarise_dvc_diff(diff: Mapping) -> list[tuple[str, str, int]]:
    """(change, path, files inside) per DVC-tracked output; a changed directory's files fold into it."""
    entries = []
    # "not in cache" only says dvc could not list a directory of the base; it is listed as changed too.
    for change in ("added", "deleted", "modified", "renamed"):
        for item in diff.get(change) or []:
            path = item.get("path") if isinstance(item.get("path"), str) else str(item.get("path", {}).get("new", "?"))
            entries.append((change, path))
    directories = {path for _, path in entries if path.endswith("/")}
    folded = []
    for change, path in entries:
        if any(path != d and path.startswith(d) for d in directories):
            continue
        inside = (
            sum(1 for _, other in entries if other != path and other.startswith(path)) if path in directories else 0
        )
        folded.append((change, path, inside))
    return folded


def is_data(path: str) -> bool:
    return any(PurePosixPath(path).is_relative_to(directory) for directory in DATA_DIRS)


def _output(path: str, inside: int) -> str:
    return code(path) + (f" ({inside} files)" if inside else "")


def data_summary(inputs: ReportInputs) -> str:
    if inputs.dvc_diff is None:
        reason = inputs.dvc_diff_error or "not available"
        return f"**Data:** could not compare DVC-tracked files with {code(inputs.base_rev)} ({reason})."
    changes = summarise_dvc_diff(inputs.dvc_diff)
    data = [f"{_output(path, inside)} {change}" for change, path, inside in changes if is_data(path)]
    others = [_output(path, inside) for change, path, inside in changes if not is_data(path)]
    line = (
        f"**Data:** {', '.join(data)}."
        if data
        else f"**Data:** unchanged (same DVC hashes as {code(inputs.base_rev)})."
    )
    if others:
        line += f" Rebuilt: {', '.join(others)}."
    return line


def split_table(inputs: ReportInputs) -> str:
    base, pr = as_mapping(inputs.base.split), as_mapping(inputs.pr.split)
    names = list(dict.fromkeys([*(name for name in paths.SPLITS if name in pr or name in base), *pr, *base]))
    if not names:
        return "_No split summary._"
    _, key, word = TARGET_SUMMARY[inputs.task]
    rows = []
    for name in names:
        old, new = as_mapping(base.get(name)), as_mapping(pr.get(name))
        delta = metric_delta(new.get("rows"), old.get("rows"))
        rows.append(
            [
                name,
                number(old.get("rows")),
                number(new.get("rows")),
                signed(delta),
                number(old.get(key)),
                number(new.get(key)),
            ]
        )
    target = f"{inputs.target} {word}"
    return table(
        ["split", "rows base", "rows PR", "Δ rows", f"{target} base", f"{target} PR"],
        rows,
        "lrrrrr",
    )


def data_details(inputs: ReportInputs) -> str:
    parts = [split_table(inputs)]
    if inputs.dvc_diff is not None:
        changes = summarise_dvc_diff(inputs.dvc_diff)
        if changes:
            rows = [[_output(path, inside), change] for change, path, inside in changes]
            parts.append(table(["DVC-tracked output", "change"], rows))
        else:
            parts.append(f"`dvc diff {inputs.base_rev}`: no DVC-tracked output changed.")
    return "\n\n".join(parts)
