from __future__ import annotations

import json
import math

import pytest

from gitops_ml.io import atomic_path, read_json, write_json


def test_failed_write_leaves_the_previous_file_and_no_temp_files(tmp_path):
    target = tmp_path / "metrics.json"
    write_json(target, {"roc_auc": 0.7})
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_text("half written")
        raise RuntimeError("crash mid-write")
    assert read_json(target) == {"roc_auc": 0.7}
    assert [p.name for p in tmp_path.iterdir()] == ["metrics.json"]


def test_json_writes_non_finite_numbers_as_null(tmp_path):
    write_json(tmp_path / "m.json", {"a": math.nan, "b": [math.inf, 1.5]})
    assert json.loads((tmp_path / "m.json").read_text()) == {"a": None, "b": [None, 1.5]}
