"""Data validation rules, generated from schema.yaml and checked with pandera.

``find_violations`` returns every problem at once (pandera's lazy mode), each naming the column
and the rule, so a broken extract is fixed in one round trip rather than one error per run.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import pandera.pandas as pa
from pandera.errors import SchemaErrors

from gitops_ml.schema import Column, Schema

DTYPES = {"datetime": "datetime64[ns]", "category": str, "float": "float64", "int": "int64"}
MAX_EXAMPLES = 5


@dataclass(frozen=True)
class Violation:
    column: str
    rule: str
    detail: str

    def __str__(self) -> str:
        return f"column '{self.column}': rule '{self.rule}' failed: {self.detail}"


def _null_limit(limit: float) -> pa.Check:
    return pa.Check(
        lambda series: series.isna().mean() <= limit,
        ignore_na=False,
        name="max_null_fraction",
        error=f"max_null_fraction({limit})",
    )


# An int column with nulls is stored as float64 (numpy has no integer NaN): its values must be whole.
_WHOLE = pa.Check(lambda series: series.dropna() == series.dropna().round(), name="whole_numbers")


def _dtype(column: Column, frame: pd.DataFrame) -> object:
    if column.kind == "int" and column.name in frame and pd.api.types.is_float_dtype(frame[column.name]):
        return "float64"
    return DTYPES[column.kind]


def column_checks(column: Column, frame: pd.DataFrame | None = None) -> list[pa.Check]:
    checks = []
    if column.kind == "int" and frame is not None and _dtype(column, frame) == "float64":
        checks.append(_WHOLE)
    if column.minimum is not None or column.maximum is not None:
        checks.append(pa.Check.in_range(column.minimum, column.maximum))
    if column.categories is not None:
        checks.append(pa.Check.isin(list(column.categories)))
    if column.pattern is not None:
        checks.append(pa.Check.str_matches(rf"(?:{column.pattern})\Z"))  # str_matches anchors only the start
    if column.nullable:
        checks.append(_null_limit(column.max_null_fraction))
    return checks


def _nullable(column: Column, schema: Schema) -> bool:
    if column.name == schema.target:
        return schema.missing_target == "drop"  # such rows are dropped before the split, and counted
    return column.nullable


def pandera_schema(schema: Schema, min_rows: int, frame: pd.DataFrame | None = None) -> pa.DataFrameSchema:
    return pa.DataFrameSchema(
        {
            column.name: pa.Column(
                _dtype(column, frame) if frame is not None else DTYPES[column.kind],
                checks=column_checks(column, frame),
                nullable=_nullable(column, schema),
                description=column.description,
            )
            for column in schema.columns
        },
        checks=[pa.Check(lambda frame: len(frame) >= min_rows, name="min_rows", error=f"min_rows({min_rows})")],
        strict=True,
        unique=list(schema.key) or None,
        report_duplicates="all",
    )


def _leakage(frame: pd.DataFrame, schema: Schema) -> list[Violation]:
    return [
        Violation(name, "no_leakage", "schema.yaml lists it under leakage (known only after the fact); drop it")
        for name in schema.leakage
        if name in frame.columns
    ]


def _describe(cases: pd.DataFrame) -> str:
    values = cases["failure_case"].dropna().astype(str).unique()
    examples = ", ".join(values[:MAX_EXAMPLES]) + (", ..." if len(values) > MAX_EXAMPLES else "")
    rows = cases["index"].dropna()
    if len(rows):
        return f"{rows.nunique()} row(s), e.g. {examples}"
    return examples


def _from_pandera(error: SchemaErrors, frame: pd.DataFrame, schema: Schema, leaked: set[str]) -> list[Violation]:
    cases = error.failure_cases.copy()
    # A column of the wrong type fails its value checks too; those failures are noise.
    wrong_type = set(cases.loc[cases["check"].astype(str).str.startswith("dtype"), "column"].dropna())
    violations = []
    for (column, rule), group in cases.groupby(
        [cases["column"].fillna("(table)"), cases["check"]], sort=False, dropna=False
    ):
        if rule == "column_in_schema":
            # pandera reports unexpected columns with the column name as the failure case.
            for name in group["failure_case"].astype(str):
                if name not in leaked:
                    violations.append(Violation(name, "no_unexpected_columns", "not declared in schema.yaml"))
            continue
        if rule == "column_in_dataframe":
            violations += [
                Violation(name, "required", "column is missing") for name in group["failure_case"].astype(str)
            ]
            continue
        if rule == "multiple_fields_uniqueness":
            if column == schema.key[0]:  # one violation for the key, not one per key column
                violations.append(Violation("+".join(schema.key), "unique_key", _describe(group)))
            continue
        if str(rule).startswith("dtype"):
            detail = f"expected {schema.by_name()[column].kind}, got {group['failure_case'].iloc[0]}"
            violations.append(Violation(str(column), "dtype", detail))
            continue
        if column in wrong_type:
            continue
        if str(rule).startswith("max_null_fraction"):
            if len(frame):  # an empty table fails min_rows; a null share of no rows means nothing
                share = frame[column].isna().mean()
                violations.append(Violation(str(column), str(rule), f"{share:.1%} of rows are null"))
            continue
        violations.append(Violation(str(column), str(rule), _describe(group)))
    return violations


def find_violations(frame: pd.DataFrame, schema: Schema, min_rows: int) -> list[Violation]:
    """Every way ``frame`` breaks the schema; empty when it is fit for training."""
    violations = _leakage(frame, schema)
    try:
        pandera_schema(schema, min_rows, frame).validate(frame, lazy=True)
    except SchemaErrors as error:
        violations += _from_pandera(error, frame, schema, {v.column for v in violations})
    target = frame.get(schema.target)
    if target is not None and len(frame) and target.isna().all():
        violations.append(Violation(schema.target, "has_target", "no row has a target value"))
    return violations
