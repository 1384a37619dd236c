"""Guessing a data contract from a table: pure functions, no files (``schema_draft`` writes them).

Every guess carries a note saying what was observed and what was chosen, so the drafted
schema.yaml explains itself. The guesses are chosen so the pipeline runs on the same table as
drafted: ranges and category lists come from all rows (only the kind detection samples), and a
column is declared a datetime only when ingest's own parser (``tables.conform_column``) reads it.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from gitops_ml.schema import Column
from gitops_ml.tables import conform_column

MAX_INFER_ROWS = 200_000  # kind detection (date parsing) looks at a seeded sample of this many rows
SAMPLE_SEED = 42
DATETIME_SHARE = 0.95  # share of non-null text that must look like ISO 8601 for a datetime guess
MAX_LISTED_CATEGORIES = 50  # more distinct values than this: any value accepted, no list
MAX_CATEGORY_SHARE = 0.2  # nor when distinct values are this large a share of the rows (free text)
RANGE_MARGIN = 0.1  # observed span widened by this share on each side
NULL_HEADROOM = 2  # max_null_fraction = observed share x this
REGRESSION_MIN_VALUES = 10  # a numeric target with more distinct values than this is a regression target
POSITIVE_NAMES = ("1", "true", "yes", "y", "positive", "pos")  # usual names of the positive class
# "2024-03-01", "2024-03-01 10:00", "2024-03-01T10:00:00Z", "...+02:00": what ingest parses as ISO 8601.
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?(?:Z|[+-]\d{2}:?\d{2})?$")
# customer_id, id, order-id, CustomerID, userId; not "paid" or "valid".
ID_SUFFIX = re.compile(r"(?:^|[_\-\s.])id$", re.IGNORECASE)
CAMEL_ID = re.compile(r"[a-z](?:Id|ID)$")


class DraftError(ValueError):
    """The table or the options do not allow a usable draft; the message says what to change."""


@dataclass
class ColumnDraft:
    """One entry of schema.yaml's ``columns`` and, per key, why it was chosen."""

    name: str
    kind: str
    role: str = "input"
    range: list[int | float | None] | None = None
    categories: list[str | int] | None = None
    max_null_fraction: float = 0.0
    drift: bool = True
    notes: dict[str, str] = field(default_factory=dict)  # schema key -> comment
    distinct: int = 0  # distinct non-null values (slices are chosen by it)

    def entry(self) -> dict[str, Any]:
        """The schema.yaml mapping, defaults left out."""
        entry: dict[str, Any] = {"name": self.name, "kind": self.kind}
        if self.role != "input":
            entry["role"] = self.role
        if self.range is not None:
            entry["range"] = self.range
        if self.categories is not None:
            entry["categories"] = self.categories
        if self.max_null_fraction:
            entry["max_null_fraction"] = self.max_null_fraction
        if not self.drift and self.role == "input":
            entry["drift"] = False
        return entry


@dataclass
class SchemaDraft:
    task: str
    target: str
    positive_label: str | int | None
    timestamp: str | None
    key: list[str]
    columns: list[ColumnDraft]
    rows: int
    notes: dict[str, str] = field(default_factory=dict)  # top-level key -> comment
    datetime_columns: list[str] = field(default_factory=list)
    sampled: bool = False

    def by_name(self) -> dict[str, ColumnDraft]:
        return {column.name: column for column in self.columns}


# ---- small numeric helpers ------------------------------------------------------------------


def _number(value: float) -> int | float:
    """A plain Python number for YAML: whole values as int, no -0.0."""
    value = float(value)
    if value.is_integer() and abs(value) < 2**53:
        return int(value)
    return value


def _fmt(value: float) -> str:
    return f"{float(value):g}"


def widen_range(low: float, high: float, whole: bool) -> list[int | float]:
    """Observed [low, high] widened by RANGE_MARGIN of the span on both sides, rounded outwards to a
    round step; never below 0 when nothing observed is (counts and amounts stay non-negative)."""
    span = high - low
    margin = span * RANGE_MARGIN if span > 0 else max(abs(low) * RANGE_MARGIN, 1.0)
    step = 10.0 ** math.floor(math.log10(margin))
    if whole:
        step = max(step, 1.0)
    digits = max(0, -math.floor(math.log10(step)))
    # round(.., 9) first: 0.000186 / 1e-06 is 186.00000000000003, which must not ceil to 187.
    lo = round(math.floor(round((low - margin) / step, 9)) * step, digits)
    hi = round(math.ceil(round((high + margin) / step, 9)) * step, digits)
    if low >= 0:
        lo = max(lo, 0.0)
    # Rounding cannot eat a whole margin, but float error must never exclude an observed value.
    lo, hi = min(lo, low), max(hi, high)
    return [_number(lo), _number(hi)]


def null_limit(nulls: int, rows: int) -> float:
    """Twice the observed null share, rounded up to 3 decimals, at most 1; 0 when none observed."""
    if not nulls:
        return 0.0
    thousandths = math.ceil(round(NULL_HEADROOM * nulls * 1000 / rows, 6))
    return min(1.0, thousandths / 1000)


# ---- kinds ----------------------------------------------------------------------------------


def _is_bool(values: pd.Series) -> bool:
    present = values.dropna()
    return pd.api.types.is_bool_dtype(values) or (len(present) > 0 and pd.api.types.infer_dtype(present) == "boolean")


def _is_text(values: pd.Series) -> bool:
    return not (pd.api.types.is_numeric_dtype(values) or pd.api.types.is_datetime64_any_dtype(values))


def datetime_share(values: pd.Series) -> float:
    """Share of the non-null values that are times or ISO 8601 text (dates, with Z or an offset)."""
    present = values.dropna()
    if present.empty or _is_bool(values):
        return 0.0
    if pd.api.types.is_datetime64_any_dtype(values):
        return 1.0
    if not _is_text(values):
        return 0.0
    if pd.api.types.infer_dtype(present) in ("date", "datetime", "datetime64"):
        return 1.0
    return float(present.astype(str).str.strip().str.match(ISO_DATE).mean())


def parses_as_datetime(values: pd.Series) -> bool:
    """Whether ingest (tables.conform_column) turns the whole column into datetimes."""
    converted = conform_column(values, Column(name=str(values.name), kind="datetime"))
    return pd.api.types.is_datetime64_any_dtype(converted)


def category_values(values: pd.Series) -> pd.Series:
    """The values as ingest stores a category column: text ('True', '1' for 1.0), nulls dropped."""
    return conform_column(values, Column(name=str(values.name), kind="category")).dropna()


def _whole(values: pd.Series) -> bool:
    present = values.dropna().astype("float64")
    return bool(np.array_equal(present, present.round()))


def looks_like_identifier(name: str, values: pd.Series, kind: str) -> str | None:
    """Why the column looks like an identifier, or None."""
    if kind not in ("category", "int") or values.empty:
        return None
    if values.notna().all() and values.nunique() == len(values) and len(values) > 1:
        return "unique per row"
    if ID_SUFFIX.search(name) or CAMEL_ID.search(name):
        return "the name ends in id"
    return None


def _datetime_column(name: str, values: pd.Series, share: float) -> ColumnDraft:
    if parses_as_datetime(values):
        stored = pd.api.types.is_datetime64_any_dtype(values) or pd.api.types.infer_dtype(values.dropna()) != "string"
        note = "datetime values" if stored else f"{share:.0%} of the text is ISO 8601 dates/times -> datetime"
        return ColumnDraft(name, "datetime", drift=False, notes={"kind": note, "drift": "times always move on"})
    # Ingest would leave the column as text (some values do not parse): a datetime entry would fail validation.
    draft = _text_column(name, values)
    draft.notes["kind"] = f"{share:.0%} look like ISO 8601 times but not all parse -> category; clean them for datetime"
    return draft


def _numeric_column(name: str, values: pd.Series) -> ColumnDraft:
    present = values.dropna().astype("float64")
    whole = _whole(values)
    nulls = int(values.isna().sum())
    if pd.api.types.is_integer_dtype(values) and not nulls:
        draft = ColumnDraft(name, "int", notes={"kind": "whole numbers"})
    elif whole and nulls:
        draft = ColumnDraft(
            name, "float", notes={"kind": "whole numbers with nulls -> float (int columns hold no nulls)"}
        )
    else:
        draft = ColumnDraft(name, "float")
    low, high = float(present.min()), float(present.max())
    draft.range = [*widen_range(low, high, whole)]  # a copy that may take a None: an id's open end
    draft.notes["range"] = (
        f"range = observed [{_fmt(low)}, {_fmt(high)}] widened by {RANGE_MARGIN:.0%}: confirm the real limits"
    )
    draft.distinct = int(present.nunique())
    return draft


def _text_column(name: str, values: pd.Series) -> ColumnDraft:
    text = category_values(values)
    distinct = sorted(text.unique())
    draft = ColumnDraft(name, "category", distinct=len(distinct))
    if _is_bool(values):
        draft.categories = distinct
        draft.notes["kind"] = "booleans -> categories 'False'/'True'"
    elif len(distinct) <= MAX_LISTED_CATEGORIES and len(distinct) <= max(2, MAX_CATEGORY_SHARE * len(text)):
        draft.categories = distinct
        draft.notes["categories"] = (
            f"{len(distinct)} distinct values -> category; the list is exhaustive: add values you expect later"
        )
    else:
        draft.notes["kind"] = f"{len(distinct)} distinct values -> category, any value accepted"
    return draft


def _all_null_column(name: str) -> ColumnDraft:
    return ColumnDraft(
        name, "float", role="other", max_null_fraction=1.0, notes={"role": "always empty: kept, not fed; drop it?"}
    )


def infer_column(values: pd.Series, sample: pd.Series) -> ColumnDraft:
    """A column's entry (not the target's): kind, range or categories, null limit, role."""
    name = str(values.name)
    nulls, rows = int(values.isna().sum()), len(values)
    if nulls == rows:
        return _all_null_column(name)
    share = datetime_share(sample)
    if share >= DATETIME_SHARE:
        draft = _datetime_column(name, values, share)
    elif _is_bool(values) or _is_text(values):
        draft = _text_column(name, values)
    else:
        draft = _numeric_column(name, values)
    draft.max_null_fraction = null_limit(nulls, rows)
    if nulls:
        draft.notes["max_null_fraction"] = f"{nulls / rows:.1%} null observed -> limit {draft.max_null_fraction:g}"
    reason = looks_like_identifier(name, values, draft.kind)
    if reason:
        draft.role = "other"
        draft.notes["role"] = f"looks like an identifier ({reason}): role other (kept, not fed to the model)"
        if draft.range is not None:
            draft.range[1] = None  # new rows bring new, larger ids
            draft.notes["range"] = "identifier: no upper limit (new rows bring larger ids)"
    return draft


# ---- the target and the task ------------------------------------------------------------------


def _positive(labels: list, text: pd.Series, wanted: str | None) -> tuple[str | int, str]:
    """The positive class among the two ``labels`` and why; ``text`` is the target as ingest's text."""
    forms = {str(label): label for label in labels}
    if wanted is not None:
        match = forms.get(wanted) or next((v for k, v in forms.items() if k.lower() == wanted.lower()), None)
        if match is None:
            raise DraftError(f"--positive {wanted!r} is not one of the target's values: {', '.join(forms)}")
        return match, "given with --positive"
    for name in POSITIVE_NAMES:
        for form, label in forms.items():
            if form.lower() == name:
                return label, f"{form!r} usually names the positive class"
    counts = text.value_counts()
    rare = min(forms, key=lambda form: (counts.get(form, 0), form))
    return forms[rare], f"the rarer class ({counts.get(rare, 0) / counts.sum():.0%} of rows)"


def _classification_target(name: str, values: pd.Series, positive: str | None) -> tuple[ColumnDraft, Any, str]:
    """The target's entry listing both classes (ints for whole numbers, else text), the positive label, why."""
    text = category_values(values)
    numeric = pd.api.types.is_numeric_dtype(values) and not _is_bool(values)
    if numeric and _whole(values):
        labels: list = sorted(int(v) for v in values.dropna().unique())
        kind = "int"
    else:
        labels, kind = sorted(text.unique()), "category"
    label, reason = _positive(labels, text, positive)
    draft = ColumnDraft(name, kind, role="target", categories=labels, distinct=2)
    draft.notes["categories"] = "the two classes" + (" (text)" if kind == "category" else "")
    return draft, label, reason


def _regression_target(name: str, values: pd.Series) -> ColumnDraft:
    if _is_bool(values) or _is_text(values):
        raise DraftError(f"target {name!r} holds text: a regression target must be numeric")
    draft = _numeric_column(name, values)
    draft.role = "target"
    return draft


def _multiclass(name: str, distinct: int, examples: list, numeric: bool) -> DraftError:
    shown = ", ".join(map(str, examples[:5])) + (", ..." if distinct > 5 else "")
    # Only numbers can be read as a regression target: for text that advice would fail next.
    return DraftError(
        f"target {name!r} has {distinct} distinct values ({shown}): multiclass targets are not supported yet"
        + ("; --task regression treats it as a number" if numeric and distinct > 2 else "")
    )


def infer_target(
    values: pd.Series, task: str | None, positive: str | None
) -> tuple[str, ColumnDraft, Any, dict[str, str]]:
    """(task, the target's entry, the positive label or None, why: notes for task and positive_label)."""
    name = str(values.name)
    present = values.dropna()
    if present.empty:
        raise DraftError(f"target {name!r} is empty (all null): nothing to learn")
    distinct = present.astype(str).nunique() if _is_text(values) else present.nunique()
    if distinct == 1:
        raise DraftError(f"target {name!r} has one value ({present.iloc[0]!r}): nothing to learn")
    if datetime_share(values) >= DATETIME_SHARE:
        raise DraftError(f"target {name!r} holds times: the target must be a class or a number")
    numeric = pd.api.types.is_numeric_dtype(values) and not _is_bool(values)
    many = numeric and (distinct > REGRESSION_MIN_VALUES or not _whole(values))
    if task is None:
        if distinct == 2:
            task, why = "classification", "guessed: 2 values -> classification; check positive_label"
        elif many:
            task, why = "regression", f"guessed: {distinct} distinct numbers -> regression"
        else:
            raise _multiclass(name, distinct, sorted(present.unique(), key=str), numeric)
    else:
        why = f"given with --task {task}"
    if task == "regression":
        if positive is not None:
            raise DraftError("--positive applies to classification targets only")
        return task, _regression_target(name, values), None, {"task": why}
    if distinct != 2:
        raise _multiclass(name, distinct, sorted(present.unique(), key=str), numeric)
    draft, label, reason = _classification_target(name, values, positive)
    return task, draft, label, {"task": why, "positive_label": reason}


def _target_nulls(draft: ColumnDraft, values: pd.Series) -> None:
    nulls = int(values.isna().sum())
    if nulls:
        draft.notes["role"] = f"{nulls / len(values):.1%} of rows have no target: dropped (missing_target: drop)"


# ---- the whole draft --------------------------------------------------------------------------


def _require(frame: pd.DataFrame, names: list[str], option: str) -> None:
    missing = [name for name in names if name not in frame.columns]
    if missing:
        available = ", ".join(map(str, frame.columns))
        raise DraftError(f"{option} {', '.join(map(repr, missing))}: no such column; the table has: {available}")


def _sample(frame: pd.DataFrame) -> pd.DataFrame:
    if len(frame) <= MAX_INFER_ROWS:
        return frame
    return frame.sample(n=MAX_INFER_ROWS, random_state=SAMPLE_SEED)


def _check_key(frame: pd.DataFrame, key: list[str]) -> None:
    duplicated = int(frame.duplicated(subset=key).sum())
    if duplicated:
        raise DraftError(f"--key {','.join(key)} is not unique: {duplicated} row(s) repeat another row's key")


def _check_timestamp(draft: ColumnDraft, sample: pd.Series) -> None:
    if draft.kind != "datetime":
        share = datetime_share(sample)
        raise DraftError(
            f"--timestamp {draft.name!r} is not datetime-like ({share:.0%} of values are ISO 8601 times or dates)"
        )
    draft.notes["drift"] = "the timestamp: time features (month, day of week, hour) are derived; times always move on"


def draft_schema(
    frame: pd.DataFrame,
    target: str,
    timestamp: str | None = None,
    key: list[str] | None = None,
    task: str | None = None,
    positive: str | None = None,
) -> SchemaDraft:
    """Every guess for ``frame``; DraftError when the options do not fit the table."""
    key = key or []
    if frame.empty:
        raise DraftError("the table has no rows")
    frame = frame.rename(columns=str)
    _require(frame, [target], "target")
    _require(frame, [timestamp] if timestamp else [], "--timestamp")
    _require(frame, key, "--key")
    task, target_draft, label, notes = infer_target(frame[target], task, positive)
    _target_nulls(target_draft, frame[target])
    if key:
        _check_key(frame, key)
    sample = _sample(frame)
    columns = [target_draft if name == target else infer_column(frame[name], sample[name]) for name in frame.columns]
    draft = SchemaDraft(
        task, target, label, timestamp, key, columns, len(frame), notes, sampled=len(sample) < len(frame)
    )
    if timestamp:
        _check_timestamp(draft.by_name()[timestamp], sample[timestamp])
    if not any(column.role == "input" for column in columns):
        raise DraftError("no column is left as a model input (all look like identifiers or are empty)")
    draft.datetime_columns = [c.name for c in columns if c.kind == "datetime"]
    return draft


# ---- params.yaml choices ----------------------------------------------------------------------

MIN_DISTINCT_DAYS = 5
WINDOW_CUTS = (0.4, 0.6, 0.8)  # reference starts, test starts, production starts (shares of rows by time)


def time_windows(values: pd.Series) -> dict[str, tuple[str, str]] | None:
    """Half-open day windows from the rows' times: train = first 60% of rows, test next 20%,
    production last 20%, reference = the last 20% before test. None when the times span too few days.
    Times are read as ingest reads them (UTC for text with offsets), so the windows cut the same rows."""
    when = conform_column(values, Column(name=str(values.name), kind="datetime")).dropna()
    days = pd.Series(when.dt.normalize().sort_values().to_numpy())
    distinct = days.unique()
    if len(distinct) < MIN_DISTINCT_DAYS:
        return None
    cuts: list[np.datetime64] = []
    for share in WINDOW_CUTS:
        day = days.iloc[int(share * len(days))]
        previous = cuts[-1] if cuts else distinct[0]
        if day <= previous:  # a busy day holds the cut: move to the next day with rows
            later = distinct[distinct > previous]
            if not len(later):
                return None
            day = later[0]
        cuts.append(day)
    first, (reference, test, production) = distinct[0], cuts
    end = distinct[-1] + np.timedelta64(1, "D")
    as_text = [pd.Timestamp(day).strftime("%Y-%m-%d") for day in (first, reference, test, production, end)]
    first, reference, test, production, end = as_text
    return {
        "train": (first, test),
        "test": (test, production),
        "reference": (reference, test),
        "production": (production, end),
    }


MAX_SLICES = 3
SLICE_CATEGORIES = (2, 20)


def slice_columns(draft: SchemaDraft) -> list[str]:
    """Up to three category inputs with 2-20 values (fewest first), and the timestamp's month."""
    low, high = SLICE_CATEGORIES
    candidates = [c for c in draft.columns if c.role == "input" and c.kind == "category" and low <= c.distinct <= high]
    chosen = [c.name for c in sorted(candidates, key=lambda c: (c.distinct, c.name))[:MAX_SLICES]]
    return chosen + ([f"{draft.timestamp}_month"] if draft.timestamp else [])
