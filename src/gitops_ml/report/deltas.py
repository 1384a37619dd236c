"""Changes between the base and the pull request: metric deltas, slice deltas, changed params."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from gitops_ml.markdown import as_number
from gitops_ml.metric_catalogue import HIGHER_IS_BETTER


def metric_delta(pr: object, base: object) -> float | None:
    pr, base = as_number(pr), as_number(base)
    if pr is None or base is None:
        return None
    delta = pr - base
    return delta if abs(delta) != float("inf") else None


def worsening(metric: str, delta: float) -> float:
    """How much worse a change is for ``metric``: positive = worse, whichever way the metric points."""
    return -delta if HIGHER_IS_BETTER.get(metric, True) else delta


def slice_key(row: Mapping) -> tuple[str, str]:
    return str(row.get("slice")), str(row.get("value"))


def slice_deltas(base: Sequence[Mapping], pr: Sequence[Mapping], metric: str = "roc_auc") -> list[dict]:
    """Slices present on both sides with a finite ``metric``, worst regression first."""
    old = {slice_key(row): row for row in base if isinstance(row, Mapping)}
    rows = []
    for row in pr:
        if not isinstance(row, Mapping) or slice_key(row) not in old:
            continue
        before = old[slice_key(row)]
        delta = metric_delta(row.get(metric), before.get(metric))
        if delta is not None:
            rows.append({"key": slice_key(row), "base": before, "pr": row, "delta": delta})
    return sorted(rows, key=lambda item: (-worsening(metric, item["delta"]), item["key"]))


def flatten(tree: object, prefix: str = "") -> dict[str, object]:
    """``{"train": {"seed": 1}}`` -> ``{"train.seed": 1}``; lists stay whole values."""
    if isinstance(tree, Mapping) and tree:
        flat: dict[str, object] = {}
        for key, value in tree.items():
            flat.update(flatten(value, f"{prefix}{key}."))
        return flat
    return {prefix[:-1]: tree} if prefix else {}


_ABSENT = object()


def params_changes(base: Mapping | None, pr: Mapping | None) -> list[tuple[str, object, object]]:
    """(key, base value, PR value) for every key that differs; a side without the key gives _ABSENT."""
    old, new = flatten(base or {}), flatten(pr or {})
    keys = list(new) + [key for key in old if key not in new]
    return [
        (key, old.get(key, _ABSENT), new.get(key, _ABSENT))
        for key in keys
        if old.get(key, _ABSENT) != new.get(key, _ABSENT)
    ]
