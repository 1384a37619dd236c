"""schema.yaml -> typed objects; a bad file is an error naming the entry (and the column)."""

from __future__ import annotations

import copy

import pytest
import yaml

from gitops_ml.schema import SchemaError, load_schema, parse_schema, read_schema
from tests.support.data import ALL_CONTRACTS, schema_file


@pytest.fixture
def raw() -> dict:
    return yaml.safe_load(schema_file("churn").read_text())


@pytest.mark.parametrize("name", ALL_CONTRACTS)
def test_every_contract_loads(name):
    schema = read_schema(schema_file(name))
    assert schema.target in schema.by_name() and schema.input_columns()
    if schema.task == "classification":
        assert schema.positive_label != schema.negative_label
        assert {schema.positive_label, schema.negative_label} == set(schema.target_column.categories)


def column(raw: dict, name: str) -> dict:
    return next(entry for entry in raw["columns"] if entry["name"] == name)


def broken(raw: dict, change) -> dict:
    raw = copy.deepcopy(raw)
    change(raw)
    return raw


CASES = {
    "unknown key": (lambda r: column(r, "plan").update(rnage=[0, 1]), r"columns\[1\] \(plan\)\.rnage: unknown key"),
    "bad kind": (lambda r: column(r, "plan").update(kind="text"), r"columns\[1\] \(plan\)\.kind: Input should be"),
    "empty range": (
        lambda r: column(r, "tenure_months").update(range=[10, 1]),
        r"tenure_months\).*range \[10, 1\] is empty",
    ),
    "numeric categories for text": (lambda r: column(r, "plan").update(categories=[1, 2]), r"\(plan\).*quote them"),
    "unknown target": (lambda r: r.update(target="nope"), "target 'nope' is not one of the columns"),
    "target without role": (lambda r: column(r, "churned").update(role="input"), "give it role: target"),
    "positive label not a class": (lambda r: r.update(positive_label="maybe"), "positive_label 'maybe' is not one of"),
    "multiclass": (
        lambda r: column(r, "churned").update(categories=["no", "yes", "later"]),
        "multiclass targets are not supported yet",
    ),
    "regression target with classes": (
        lambda r: r.update(task="regression", positive_label=None),
        "a regression target",
    ),
    "unknown key column": (lambda r: r.update(key=["nope"]), r"key names unknown column\(s\) \['nope'\]"),
    "timestamp not a datetime": (lambda r: r.update(timestamp="plan"), "must be a datetime column"),
    "leakage also declared": (lambda r: r.update(leakage=["plan"]), "declared as columns too"),
    "repeated column": (
        lambda r: r["columns"].append({"name": "plan", "kind": "category"}),
        r"columns repeat \['plan'\]",
    ),
}


@pytest.mark.parametrize("case", CASES)
def test_a_bad_entry_is_named(raw, case):
    change, expected = CASES[case]
    with pytest.raises(SchemaError, match=expected):
        parse_schema(broken(raw, change), "schema.yaml")


def test_a_missing_or_unreadable_file_says_what_to_do(tmp_path):
    with pytest.raises(SchemaError, match="make schema"):
        load_schema(tmp_path / "schema.yaml")
    (tmp_path / "schema.yaml").write_text("columns: [unclosed")
    with pytest.raises(SchemaError, match="cannot read"):
        load_schema(tmp_path / "schema.yaml")


def test_the_loaded_schema_follows_the_file(tmp_path, raw):
    path = tmp_path / "schema.yaml"
    path.write_text(yaml.safe_dump(raw))
    assert load_schema(path).target == "churned"
    raw["columns"][-1]["description"] = "changed"
    import os

    path.write_text(yaml.safe_dump(raw))
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 10**9))
    assert load_schema(path).target_column.description == "changed"
