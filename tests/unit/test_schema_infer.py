"""Schema inference on a small table built here: every guess, note and refusal, exactly.

The draft is compared whole (kinds, roles, ranges, categories, null limits, and the notes that end up
as schema.yaml comments), so a changed boundary, rounding or message fails here first; the CLI and
the files it writes are tested in test_schema_draft.py.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from gitops_ml.schema_infer import DraftError, draft_schema, slice_columns, time_windows


def frame() -> pd.DataFrame:
    n = 60
    return pd.DataFrame(
        {
            "customer_id": range(1, n + 1),
            "signed_up": pd.date_range("2024-01-01", periods=n, freq="D"),
            "last_seen": [f"2024-03-{(i % 28) + 1:02d}" for i in range(n)],
            "plan": ["basic", "pro", "team"] * 20,
            "monthly_fee": [9.5 + (i % 7) * 0.25 for i in range(n)],
            "seats": [float(i % 5 + 1) if i % 10 else np.nan for i in range(n)],
            "visits": [i % 13 for i in range(n)],
            "is_paying": [bool(i % 2) for i in range(n)],
            "comment": [f"free text {i}" for i in range(n)],
            "empty": [None] * n,
            "churned": [*(["yes", "no", "no"] * 20)[:-2], None, None],
        }
    )


EXPECTED = {
    "task": "classification",
    "target": "churned",
    "positive_label": "yes",
    "timestamp": "signed_up",
    "key": ["customer_id"],
    "columns": [
        {
            "name": "customer_id",
            "kind": "int",
            "role": "other",
            "range": [0, None],
            "categories": None,
            "max_null_fraction": 0.0,
            "drift": True,
            "notes": {
                "kind": "whole numbers",
                "range": "identifier: no upper limit (new rows bring larger ids)",
                "role": "looks like an identifier (unique per row): role other (kept, not fed to the model)",
            },
            "distinct": 60,
        },
        {
            "name": "signed_up",
            "kind": "datetime",
            "role": "input",
            "range": None,
            "categories": None,
            "max_null_fraction": 0.0,
            "drift": False,
            "notes": {
                "kind": "datetime values",
                "drift": "the timestamp: time features (month, day of week, hour) are derived; times always move on",
            },
            "distinct": 0,
        },
        {
            "name": "last_seen",
            "kind": "datetime",
            "role": "input",
            "range": None,
            "categories": None,
            "max_null_fraction": 0.0,
            "drift": False,
            "notes": {"kind": "100% of the text is ISO 8601 dates/times -> datetime", "drift": "times always move on"},
            "distinct": 0,
        },
        {
            "name": "plan",
            "kind": "category",
            "role": "input",
            "range": None,
            "categories": ["basic", "pro", "team"],
            "max_null_fraction": 0.0,
            "drift": True,
            "notes": {
                "categories": "3 distinct values -> category; the list is exhaustive: add values you expect later"
            },
            "distinct": 3,
        },
        {
            "name": "monthly_fee",
            "kind": "float",
            "role": "input",
            "range": [9.3, 11.2],
            "categories": None,
            "max_null_fraction": 0.0,
            "drift": True,
            "notes": {"range": "range = observed [9.5, 11] widened by 10%: confirm the real limits"},
            "distinct": 7,
        },
        {
            "name": "seats",
            "kind": "float",
            "role": "input",
            "range": [0, 6],
            "categories": None,
            "max_null_fraction": 0.2,
            "drift": True,
            "notes": {
                "kind": "whole numbers with nulls -> float (int columns hold no nulls)",
                "range": "range = observed [1, 5] widened by 10%: confirm the real limits",
                "max_null_fraction": "10.0% null observed -> limit 0.2",
            },
            "distinct": 5,
        },
        {
            "name": "visits",
            "kind": "int",
            "role": "input",
            "range": [0, 14],
            "categories": None,
            "max_null_fraction": 0.0,
            "drift": True,
            "notes": {
                "kind": "whole numbers",
                "range": "range = observed [0, 12] widened by 10%: confirm the real limits",
            },
            "distinct": 13,
        },
        {
            "name": "is_paying",
            "kind": "category",
            "role": "input",
            "range": None,
            "categories": ["False", "True"],
            "max_null_fraction": 0.0,
            "drift": True,
            "notes": {"kind": "booleans -> categories 'False'/'True'"},
            "distinct": 2,
        },
        {
            "name": "comment",
            "kind": "category",
            "role": "other",
            "range": None,
            "categories": None,
            "max_null_fraction": 0.0,
            "drift": True,
            "notes": {
                "kind": "60 distinct values -> category, any value accepted",
                "role": "looks like an identifier (unique per row): role other (kept, not fed to the model)",
            },
            "distinct": 60,
        },
        {
            "name": "empty",
            "kind": "float",
            "role": "other",
            "range": None,
            "categories": None,
            "max_null_fraction": 1.0,
            "drift": True,
            "notes": {"role": "always empty: kept, not fed; drop it?"},
            "distinct": 0,
        },
        {
            "name": "churned",
            "kind": "category",
            "role": "target",
            "range": None,
            "categories": ["no", "yes"],
            "max_null_fraction": 0.0,
            "drift": True,
            "notes": {
                "categories": "the two classes (text)",
                "role": "3.3% of rows have no target: dropped (missing_target: drop)",
            },
            "distinct": 2,
        },
    ],
    "rows": 60,
    "notes": {
        "task": "guessed: 2 values -> classification; check positive_label",
        "positive_label": "'yes' usually names the positive class",
    },
    "datetime_columns": ["signed_up", "last_seen"],
    "sampled": False,
}
ENTRIES = [
    {"name": "customer_id", "kind": "int", "role": "other", "range": [0, None]},
    {"name": "signed_up", "kind": "datetime", "drift": False},
    {"name": "last_seen", "kind": "datetime", "drift": False},
    {"name": "plan", "kind": "category", "categories": ["basic", "pro", "team"]},
    {"name": "monthly_fee", "kind": "float", "range": [9.3, 11.2]},
    {"name": "seats", "kind": "float", "range": [0, 6], "max_null_fraction": 0.2},
    {"name": "visits", "kind": "int", "range": [0, 14]},
    {"name": "is_paying", "kind": "category", "categories": ["False", "True"]},
    {"name": "comment", "kind": "category", "role": "other"},
    {"name": "empty", "kind": "float", "role": "other", "max_null_fraction": 1.0},
    {"name": "churned", "kind": "category", "role": "target", "categories": ["no", "yes"]},
]
REGRESSION = (
    "regression",
    None,
    {"task": "guessed: 60 distinct numbers -> regression"},
    {
        "name": "price",
        "kind": "float",
        "role": "target",
        "range": [1, 108],
        "categories": None,
        "max_null_fraction": 0.0,
        "drift": True,
        "notes": {"range": "range = observed [10, 98.5] widened by 10%: confirm the real limits"},
        "distinct": 60,
    },
)


def test_every_guess_and_note_of_a_draft():
    draft = draft_schema(frame(), "churned", timestamp="signed_up", key=["customer_id"])
    assert dataclasses.asdict(draft) == EXPECTED
    assert [column.entry() for column in draft.columns] == ENTRIES


def test_a_numeric_target_with_many_values_is_regression():
    draft = draft_schema(frame().assign(price=[10.0 + i * 1.5 for i in range(60)]).drop(columns=["churned"]), "price")
    assert (draft.task, draft.positive_label, draft.notes, dataclasses.asdict(draft.by_name()["price"])) == REGRESSION


def test_windows_and_slices_of_the_draft():
    assert time_windows(frame()["signed_up"]) == {
        "train": ("2024-01-01", "2024-02-06"),
        "test": ("2024-02-06", "2024-02-18"),
        "reference": ("2024-01-25", "2024-02-06"),
        "production": ("2024-02-18", "2024-03-01"),
    }
    draft = draft_schema(frame(), "churned", timestamp="signed_up", key=["customer_id"])
    assert slice_columns(draft) == ["is_paying", "plan", "signed_up_month"]


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (
            {"target": "visits", "task": "classification"},
            "target 'visits' has 13 distinct values (0, 1, 10, 11, 12, ...): multiclass targets"
            " are not supported yet; --task regression treats it"
            " as a number",
        ),
        # Text cannot be a number: no advice to try --task regression, which would fail next.
        (
            {"target": "plan"},
            "target 'plan' has 3 distinct values (basic, pro, team): multiclass targets are not supported yet",
        ),
        ({"target": "visits", "positive": "3"}, "--positive applies to classification targets only"),
        (
            {"target": "nope"},
            "target 'nope': no such column; the table has: customer_id, signed_up, last_seen, plan, monthly_fee,"
            " seats, visits, is_paying, comment, empty, churned",
        ),
        ({"target": "churned", "key": ["plan"]}, "--key plan is not unique: 57 row(s) repeat another row's key"),
        (
            {"target": "churned", "timestamp": "plan"},
            "--timestamp 'plan' is not datetime-like (0% of values are ISO 8601 times or dates)",
        ),
    ],
)
def test_refusals_say_exactly_what_to_change(options, message):
    with pytest.raises(DraftError) as raised:
        draft_schema(frame(), **options)
    assert str(raised.value) == message


def test_an_empty_table_and_a_table_without_inputs_are_refused():
    with pytest.raises(DraftError, match=r"^the table has no rows$"):
        draft_schema(frame().head(0), "churned")
    only_ids = frame()[["customer_id", "churned"]]
    with pytest.raises(
        DraftError, match=r"^no column is left as a model input \(all look like identifiers or are empty\)$"
    ):
        draft_schema(only_ids, "churned")
