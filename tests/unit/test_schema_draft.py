"""Drafting schema.yaml from a table (`make schema`): every inference rule, the params.yaml round
trip, and every refusal (exit 2, one line naming the problem, nothing written)."""

from __future__ import annotations

import datetime as dt

import fsspec
import numpy as np
import pandas as pd
import pytest
import yaml

from gitops_ml import schema_infer as infer
from gitops_ml.config import load_params
from gitops_ml.schema import read_schema
from gitops_ml.schema_draft import main
from tests.support.project import ROOT

ROWS = 400


def churn_frame(rows: int = ROWS, seed: int = 0) -> pd.DataFrame:
    """No time column; an id, a bool, a numeric column with nulls, labels yes/no."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "customer_id": [f"C{i:05d}" for i in range(rows)],
            "plan": rng.choice(["basic", "plus", "pro"], rows),
            "tenure_months": rng.integers(1, 72, rows),
            "monthly_charges": rng.uniform(20, 120, rows).round(2),
            "support_calls": rng.integers(0, 9, rows).astype(float),
            "paperless": rng.choice([True, False], rows),
            "churn": rng.choice(["no", "yes"], rows, p=[0.7, 0.3]),
        }
    )
    frame.loc[rng.choice(rows, rows // 20, replace=False), "monthly_charges"] = np.nan  # 5% null
    frame.loc[rng.choice(rows, rows // 40, replace=False), "support_calls"] = np.nan  # an int column with nulls
    return frame


def price_frame(rows: int = ROWS, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    area = rng.uniform(30, 200, rows).round(1)
    return pd.DataFrame(
        {
            "city": rng.choice(["Lyon", "Paris", "Nice", "Lille"], rows),
            "kind": rng.choice(["flat", "house"], rows),
            "area": area,
            "rooms": rng.integers(1, 8, rows),
            "price": (area * 3000 + rng.normal(0, 20000, rows)).round(0) + 0.5,
        }
    )


def events_frame(rows: int = ROWS, seed: int = 2) -> pd.DataFrame:
    """ISO timestamps with Z and with offsets, a plain-date column, a 0/1 label."""
    rng = np.random.default_rng(seed)
    start = pd.Timestamp("2024-01-01T00:00:00Z")
    times = [start + pd.Timedelta(hours=int(h)) for h in np.sort(rng.integers(0, 24 * 120, rows))]
    text = [
        t.strftime("%Y-%m-%dT%H:%M:%SZ") if i % 2 else t.tz_convert("+02:00").isoformat() for i, t in enumerate(times)
    ]
    return pd.DataFrame(
        {
            "event_time": text,
            "signup_date": [
                (t - pd.Timedelta(days=int(d))).strftime("%Y-%m-%d")
                for t, d in zip(times, rng.integers(0, 900, rows), strict=True)
            ],
            "channel": rng.choice(["web", "app", "store"], rows),
            "amount": rng.exponential(50, rows).round(2),
            "converted": rng.choice([0, 1], rows, p=[0.8, 0.2]),
        }
    )


@pytest.fixture
def project(tmp_path):
    """A directory holding the project's params.yaml (with its comments) and schema.yaml."""
    for name in ("params.yaml", "schema.yaml"):
        (tmp_path / name).write_text((ROOT / name).read_text())
    return tmp_path


def draft(project, data, *options: str) -> int:
    return main(
        [
            "--data",
            str(data),
            *options,
            "--schema",
            str(project / "schema.yaml"),
            "--params",
            str(project / "params.yaml"),
        ]
    )


def entry(project, name: str) -> dict:
    raw = yaml.safe_load((project / "schema.yaml").read_text())
    return next(column for column in raw["columns"] if column["name"] == name)


def assert_contains(frame: pd.DataFrame, project) -> None:
    """Ranges hold the observed values; null limits are at least the observed share."""
    schema = read_schema(project / "schema.yaml")
    for column in schema.columns:
        values = frame[column.name]
        if column.minimum is not None:
            assert values.min() >= column.minimum, column
        if column.maximum is not None:
            assert values.max() <= column.maximum, column
        if column.role != "target":
            assert values.isna().mean() <= column.max_null_fraction, column


# ---- whole drafts ---------------------------------------------------------------------------


def test_churn_csv_draft(project, tmp_path, capsys):
    frame = churn_frame()
    data = tmp_path / "churn.csv"
    frame.to_csv(data, index=False)
    assert draft(project, data, "--target", "churn") == 0

    schema = read_schema(project / "schema.yaml")
    columns = schema.by_name()
    assert (schema.task, schema.target, schema.positive_label) == ("classification", "churn", "yes")
    assert columns["churn"].categories == ("no", "yes") and columns["churn"].kind == "category"
    assert columns["customer_id"].role == "other" and columns["customer_id"].categories is None
    assert columns["plan"].categories == ("basic", "plus", "pro")
    assert columns["paperless"].categories == ("False", "True")
    assert columns["tenure_months"].kind == "int"
    assert columns["support_calls"].kind == "float"  # whole numbers, but nulls
    assert columns["monthly_charges"].max_null_fraction == 0.1  # 5% observed, doubled
    assert columns["tenure_months"].minimum == 0  # widened, but counts stay non-negative
    assert (schema.timestamp, schema.key, schema.leakage, schema.missing_target) == (None, (), (), "drop")
    assert_contains(frame, project)

    text = (project / "schema.yaml").read_text()
    for comment in (
        "# classification (two classes) | regression; guessed: 2 values -> classification; check positive_label",
        "'yes' usually names the positive class",
        "# looks like an identifier (unique per row): role other",
        "# 3 distinct values -> category; the list is exhaustive",
        "# booleans -> categories 'False'/'True'",
        "# whole numbers with nulls -> float",
        "# 5.0% null observed -> limit 0.1",
        "widened by 10%: confirm the real limits",
        "# columns known only after the outcome",
    ):
        assert comment in text, comment
    assert 'positive_label: "yes"' in text  # PyYAML would read a plain yes as true
    assert "Check" in capsys.readouterr().out


def test_churn_params_keep_comments_and_split_at_random(project, tmp_path):
    frame = churn_frame()
    data = tmp_path / "churn.csv"
    frame.to_csv(data, index=False)
    original = (project / "params.yaml").read_text()
    assert draft(project, data, "--target", "churn") == 0

    text = (project / "params.yaml").read_text()
    for line in original.splitlines():  # every comment of a section kept is kept
        comment = line.partition("#")[2].strip()
        if comment and not any(gone in line for gone in ("delay_threshold", "Timings", "2013-")):
            assert comment in text, comment
    assert "# Timings depend on the runner" in text
    params = load_params(project / "params.yaml")
    params.check_against(read_schema(project / "schema.yaml"))
    assert params.data.source == str(data) and params.data.format is None and params.data.options == {}
    assert params.data.sample_fraction == 1.0
    assert params.split.by == "random" and params.split.train is None
    assert params.split.fractions.model_dump() == {"train": 0.7, "test": 0.15, "production": 0.15}
    assert set(params.gate.metrics) == {"roc_auc", "pr_auc", "log_loss", "latency_single_row_ms_p50"}
    assert params.gate.metrics["latency_single_row_ms_p50"].vs_baseline is False
    assert params.evaluate.slices == ("paperless", "plan")
    assert params.evaluate.min_slice_rows == 10 and params.validate_.min_rows == ROWS // 2
    assert params.train.threshold == 0.5
    assert params.drift.columns == {} and params.drift.performance.metric is None
    assert params.project.name == "flight-delay"  # kept unless --project
    assert "# draft: by random: no timestamp" in text


def test_parquet_regression(project, tmp_path):
    frame = price_frame()
    data = tmp_path / "prices.parquet"
    frame.to_parquet(data, index=False)
    assert draft(project, data, "--target", "price", "--project", "house-prices") == 0

    schema = read_schema(project / "schema.yaml")
    columns = schema.by_name()
    assert (schema.task, schema.positive_label) == ("regression", None)
    assert columns["price"].kind == "float" and columns["price"].role == "target"
    assert columns["city"].categories == ("Lille", "Lyon", "Nice", "Paris")
    assert columns["rooms"].kind == "int" and columns["area"].kind == "float"
    assert_contains(frame, project)
    assert "guessed: 400 distinct numbers -> regression" in (project / "schema.yaml").read_text()
    params = load_params(project / "params.yaml")
    params.check_against(schema)
    assert set(params.gate.metrics) == {"rmse", "mae", "r2", "latency_single_row_ms_p50"}
    assert params.evaluate.slices == ("kind", "city")
    assert params.project.name == "house-prices"


def test_dated_events_split_by_time(project, tmp_path):
    frame = events_frame()
    data = tmp_path / "events.csv"
    frame.to_csv(data, index=False)
    assert draft(project, data, "--target", "converted", "--timestamp", "event_time") == 0

    schema = read_schema(project / "schema.yaml")
    columns = schema.by_name()
    assert schema.timestamp == "event_time" and schema.positive_label == 1
    assert columns["event_time"].kind == "datetime" and columns["event_time"].drift is False
    assert columns["event_time"].role == "input"
    assert columns["signup_date"].kind == "datetime"  # plain dates
    assert columns["converted"].kind == "int" and columns["converted"].categories == (0, 1)

    params = load_params(project / "params.yaml")
    params.check_against(schema)
    split = params.split
    assert split.by == "time"
    assert split.train.end <= split.test.start and split.test.end <= split.production.start
    assert split.train.start <= split.reference.start and split.reference.end <= split.test.start
    when = pd.to_datetime(frame["event_time"], format="ISO8601", utc=True).dt.tz_localize(None)
    assert split.train.start == when.min().date() and split.production.end == when.max().date() + dt.timedelta(days=1)
    for name in ("train", "test", "reference", "production"):
        window = getattr(split, name)
        inside = (when >= pd.Timestamp(window.start)) & (when < pd.Timestamp(window.end))
        assert inside.sum() > 0, name
    assert 0.5 < ((when < pd.Timestamp(split.train.end)).mean()) < 0.7
    assert params.evaluate.slices == ("channel", "event_time_month")
    assert f'train: {{start: "{split.train.start}", end: "{split.train.end}"}}' in (project / "params.yaml").read_text()


def test_a_short_time_range_falls_back_to_random(project, tmp_path):
    frame = events_frame()
    frame["event_time"] = np.resize(["2024-03-01", "2024-03-02", "2024-03-03"], len(frame))
    data = tmp_path / "events.csv"
    frame.to_csv(data, index=False)
    assert draft(project, data, "--target", "converted", "--timestamp", "event_time") == 0
    params = load_params(project / "params.yaml")
    assert params.split.by == "random"
    assert "fewer than 5 distinct days" in (project / "params.yaml").read_text()


def test_datetime_columns_without_timestamp_are_pointed_out(project, tmp_path):
    data = tmp_path / "events.csv"
    events_frame().to_csv(data, index=False)
    assert draft(project, data, "--target", "converted") == 0
    assert "TIMESTAMP=event_time (make schema) enables time-window splits" in (project / "schema.yaml").read_text()
    assert load_params(project / "params.yaml").split.by == "random"


def test_a_second_run_gives_the_same_files(project, tmp_path):
    data = tmp_path / "churn.csv"
    churn_frame().to_csv(data, index=False)
    assert draft(project, data, "--target", "churn") == 0
    first = [(project / name).read_text() for name in ("schema.yaml", "params.yaml")]
    assert draft(project, data, "--target", "churn") == 0
    assert [(project / name).read_text() for name in ("schema.yaml", "params.yaml")] == first


def test_an_fsspec_url_with_an_explicit_format(project):
    with fsspec.open("memory://drafts/table", "w") as handle:
        churn_frame().to_csv(handle, index=False)
    assert draft(project, "memory://drafts/table", "--target", "churn", "--format", "csv") == 0
    params = load_params(project / "params.yaml")
    assert (params.data.source, params.data.format) == ("memory://drafts/table", "csv")


def test_large_tables_say_the_kinds_come_from_a_sample(project, tmp_path, monkeypatch):
    monkeypatch.setattr(infer, "MAX_INFER_ROWS", 100)
    frame = churn_frame()
    data = tmp_path / "churn.csv"
    frame.to_csv(data, index=False)
    assert draft(project, data, "--target", "churn") == 0
    assert "guessed from a 100-row sample" in (project / "schema.yaml").read_text()
    assert_contains(frame, project)  # ranges and null limits still from every row


# ---- single rules ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("low", "high", "whole", "expected"),
    [
        (1, 71, True, [0, 78]),  # never below 0 when nothing observed is
        (20.02, 119.96, False, [10, 130]),
        (-5.0, 5.0, False, [-6, 6]),
        (3, 3, True, [2, 4]),
        (0.00012, 0.00018, False, [0.000114, 0.000186]),
    ],
)
def test_widen_range(low, high, whole, expected):
    widened = infer.widen_range(low, high, whole)
    assert widened == pytest.approx(expected)
    assert widened[0] <= low and widened[1] >= high


@pytest.mark.parametrize(
    ("nulls", "rows", "expected"), [(0, 100, 0.0), (31, 1000, 0.062), (1, 10**6, 0.001), (9, 10, 1.0)]
)
def test_null_limit(nulls, rows, expected):
    assert infer.null_limit(nulls, rows) == expected


def test_tiny_float_ranges_load_back_as_numbers(project, tmp_path):
    frame = churn_frame()
    frame["rate"] = np.linspace(1e-6, 2e-6, len(frame))
    data = tmp_path / "churn.csv"
    frame.to_csv(data, index=False)
    assert draft(project, data, "--target", "churn") == 0
    column = read_schema(project / "schema.yaml").by_name()["rate"]
    assert column.minimum <= 1e-6 and column.maximum >= 2e-6


def test_iso_text_that_ingest_cannot_read_stays_category():
    values = pd.Series(["2024-03-01T10:00:00Z"] * 97 + ["unknown"] * 3, name="when")
    column = infer.infer_column(values, values)
    assert column.kind == "category"
    assert "not all parse" in column.notes["kind"]


def test_mostly_iso_text_is_datetime_only_when_every_value_parses():
    values = pd.Series(["2024-03-01", "2024-03-02T10:00:00+02:00", "2024-03-03T01:00:00Z"] * 10, name="when")
    assert infer.infer_column(values, values).kind == "datetime"


@pytest.mark.parametrize(
    ("name", "values", "role"),
    [
        ("store_id", [1, 2, 3, 1, 2, 3], "other"),  # by name, though repeated
        ("CustomerID", ["a", "b", "a", "b", "a", "b"], "other"),
        ("paid", [1, 0, 1, 0, 1, 0], "input"),
        ("ticket", ["t1", "t2", "t3", "t4", "t5", "t6"], "other"),  # unique text
        ("amount", [1.5, 2.5, 3.5, 4.5, 5.5, 6.5], "input"),  # unique floats are measurements
    ],
)
def test_identifiers(name, values, role):
    series = pd.Series(values, name=name)
    assert infer.infer_column(series, series).role == role


def test_int_identifiers_have_no_upper_limit():
    series = pd.Series(range(100, 200), name="order_id")
    column = infer.infer_column(series, series)
    assert column.role == "other" and column.range[1] is None


def test_high_cardinality_text_accepts_any_value():
    series = pd.Series([f"city {i % 80}" for i in range(1000)], name="city")
    column = infer.infer_column(series, series)
    assert column.kind == "category" and column.categories is None and column.role == "input"
    assert "80 distinct values" in column.notes["kind"]


def test_an_always_empty_column_is_kept_out_of_the_model():
    series = pd.Series([np.nan] * 10, name="notes")
    column = infer.infer_column(series, series)
    assert (column.role, column.max_null_fraction) == ("other", 1.0)


@pytest.mark.parametrize(
    ("values", "task", "positive", "expected"),
    [
        ([True, False, False, False], None, None, ("classification", "category", "True")),
        ([0, 1, 0, 0], None, None, ("classification", "int", 1)),
        (["stay", "leave", "stay", "stay"], None, None, ("classification", "category", "leave")),  # the rarer
        (["no", "yes", "no"], None, "no", ("classification", "category", "no")),
        (["no", "YES", "no"], None, "yes", ("classification", "category", "YES")),
        (list(range(20)), None, None, ("regression", "int", None)),
        ([0.5, 1.5, 2.25], None, None, ("regression", "float", None)),
        ([1, 2, 3, 1], "regression", None, ("regression", "int", None)),
        ([1, 2, 1, 2], "regression", None, ("regression", "int", None)),
    ],
)
def test_task_and_positive_label(values, task, positive, expected):
    guessed, column, label, _ = infer.infer_target(pd.Series(values, name="y"), task, positive)
    assert (guessed, column.kind, label) == expected


def test_a_target_with_nulls_keeps_its_classes():
    task, column, label, _ = infer.infer_target(pd.Series([0, 1, None, 0], name="y"), None, None)
    assert (task, column.kind, column.categories, label) == ("classification", "int", [0, 1], 1)


# ---- refusals -------------------------------------------------------------------------------


def refused(project, capsys, data, *options: str) -> str:
    before = {name: (project / name).read_bytes() for name in ("schema.yaml", "params.yaml")}
    assert draft(project, data, *options) == 2
    assert {name: (project / name).read_bytes() for name in before} == before
    assert sorted(path.name for path in project.iterdir() if path.name.startswith(".")) == []  # no temp files left
    error = capsys.readouterr().err
    assert "Traceback" not in error and len(error.strip().splitlines()) == 1, error
    return error


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        (["--target", "churned"], "target 'churned': no such column; the table has: customer_id, plan"),
        (["--target", "constant"], "target 'constant' has one value"),
        (["--target", "empty"], "target 'empty' is empty (all null)"),
        (["--target", "plan"], "target 'plan' has 3 distinct values (basic, plus, pro): multiclass"),
        (["--target", "churn", "--positive", "maybe"], "--positive 'maybe' is not one of the target's values: no, yes"),
        (["--target", "churn", "--timestamp", "when"], "--timestamp 'when': no such column"),
        (["--target", "churn", "--timestamp", "plan"], "--timestamp 'plan' is not datetime-like"),
        (["--target", "churn", "--key", "customer_id,nope"], "--key 'nope': no such column"),
        (["--target", "churn", "--key", "plan"], "--key plan is not unique: 397 row(s)"),
        (["--target", "text_amount", "--task", "regression"], "target 'text_amount' holds text"),
        (["--target", "churn", "--project", "Bad Name"], "--project 'Bad Name'"),
    ],
)
def test_refusals_name_the_problem(project, tmp_path, capsys, options, expected):
    frame = churn_frame().assign(constant=1, empty=np.nan, text_amount=lambda f: f["plan"] + "!")
    data = tmp_path / "churn.csv"
    frame.to_csv(data, index=False)
    assert expected in refused(project, capsys, data, *options)


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("missing.csv", None, "missing.csv: no such file"),
        ("broken.parquet", b"not parquet at all", "not a readable parquet file"),
        ("table.bin", b"a,b\n1,2\n", "cannot tell the format from the name"),
    ],
)
def test_unreadable_tables_are_refused(project, tmp_path, capsys, name, content, expected):
    data = tmp_path / name
    if content is not None:
        data.write_bytes(content)
    assert expected in refused(project, capsys, data, "--target", "b")
