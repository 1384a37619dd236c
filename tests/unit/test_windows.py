"""Rolling the split windows forward for a retrain: pure roll, comment-keeping rewrite, CLI.

The params are written here (calendar windows and day windows), not read from the repository's
params.yaml: a team's split may be by time on other dates, or random."""

from __future__ import annotations

import datetime as dt

import pytest
import yaml

from gitops_ml.config import load_params
from gitops_ml.windows import Step, default_step, main, roll
from tests.support.project import ROOT

CALENDAR = {
    "train": {"start": "2013-01-01", "end": "2013-07-01"},
    "test": {"start": "2013-07-01", "end": "2013-10-01"},
    "reference": {"start": "2013-04-01", "end": "2013-07-01"},
    "production": {"start": "2013-10-01", "end": "2014-01-01"},
}
DAYS = {
    "train": {"start": "2024-01-01", "end": "2024-01-18"},
    "test": {"start": "2024-01-18", "end": "2024-01-24"},
    "reference": {"start": "2024-01-12", "end": "2024-01-18"},
    "production": {"start": "2024-01-24", "end": "2024-01-31"},
}


def write_params(tmp_path, windows: dict) -> object:
    raw = yaml.safe_load((ROOT / "params.yaml").read_text())
    raw["split"] = {"by": "time", **windows}
    path = tmp_path / "params.yaml"
    path.write_text("# a comment that must survive\n" + yaml.safe_dump(raw, sort_keys=False))
    return path


@pytest.mark.parametrize(("windows", "step"), [(CALENDAR, Step(months=3)), (DAYS, Step(days=7))])
def test_the_default_step_is_the_production_windows_length(tmp_path, windows, step):
    assert default_step(load_params(write_params(tmp_path, windows)).split) == step


def test_roll_moves_every_window_by_the_step(tmp_path):
    split = load_params(write_params(tmp_path, CALENDAR)).split
    moved = roll(split, Step(months=3))
    for name in ("train", "test", "reference", "production"):
        before, after = getattr(split, name), getattr(moved, name)
        assert (after.start.month - before.start.month) % 12 == 3 and after.start.day == before.start.day
    days = load_params(write_params(tmp_path, DAYS)).split
    moved = roll(days, Step(days=7))
    assert all(getattr(moved, n).start - getattr(days, n).start == dt.timedelta(days=7) for n in CALENDAR)


@pytest.mark.parametrize("windows", [CALENDAR, DAYS])
def test_cli_rewrites_only_the_windows(tmp_path, capsys, windows):
    params = write_params(tmp_path, windows)
    original = params.read_text()
    before = load_params(params).split
    assert main(["roll", "--params", str(params), "--markdown", str(tmp_path / "windows.md")]) == 0

    after = load_params(params).split
    assert after == roll(before, default_step(before))
    changed = [
        (old, new)
        for old, new in zip(original.splitlines(), params.read_text().splitlines(), strict=True)
        if old != new
    ]
    assert len(changed) == 8 and all(old.split(":")[0] == new.split(":")[0] for old, new in changed)
    assert all('"' in new for _, new in changed)  # dates stay quoted strings for DVC
    assert params.read_text().startswith("# a comment that must survive")
    assert yaml.safe_load(params.read_text())["split"]["train"]["start"] == after.train.start.isoformat()
    assert "| train |" in (tmp_path / "windows.md").read_text() and "| train |" in capsys.readouterr().out


def test_cli_refuses_a_bad_roll_and_writes_nothing(tmp_path, capsys):
    params = write_params(tmp_path, CALENDAR)
    before = params.read_text()
    assert main(["roll", "--params", str(params), "--months", "0"]) == 2
    assert "--months/--days must be at least 1" in capsys.readouterr().err
    assert params.read_text() == before
    assert main(["roll", "--params", str(tmp_path / "nope.yaml")]) == 2


def test_window_dates_are_real_dates(tmp_path):
    moved = roll(load_params(write_params(tmp_path, CALENDAR)).split, Step(months=1))
    assert isinstance(moved.train.start, dt.date)


def test_a_random_split_has_no_windows_to_move(tmp_path, capsys):
    params = tmp_path / "params.yaml"
    raw = yaml.safe_load((ROOT / "params.yaml").read_text())
    raw["split"] = {"by": "random", "fractions": {"train": 0.7, "test": 0.15, "production": 0.15}}
    params.write_text(yaml.safe_dump(raw))
    before = params.read_text()
    assert main(["roll", "--params", str(params)]) == 0
    assert params.read_text() == before
    assert "no windows to move" in capsys.readouterr().out


# Exact output, explicit steps and every refusal: each fails when a bound moves (< 0 into <= 0),
# a step loses its months or days, or the table and message change.

from gitops_ml.windows import markdown_table  # noqa: E402


def test_cli_with_an_explicit_step_prints_exactly_what_it_writes(tmp_path, capsys):
    params = write_params(tmp_path, CALENDAR)
    before = load_params(params).split
    markdown = tmp_path / "deep" / "er" / "windows.md"
    assert main(["roll", "--params", str(params), "--months", "2", "--markdown", str(markdown)]) == 0
    after = load_params(params).split
    assert after == roll(before, Step(months=2))
    table = markdown_table(before, after)
    assert capsys.readouterr().out == f"Moved the split windows 2 month(s) forward in {params}:\n\n{table}"
    assert markdown.read_text() == table
    assert main(["roll", "--params", str(params), "--days", "3", "--markdown", str(markdown)]) == 0  # dir exists
    assert load_params(params).split == roll(after, Step(days=3))
    assert capsys.readouterr().out.startswith("Moved the split windows 3 day(s) forward in ")


@pytest.mark.parametrize("option", [["--months", "0"], ["--days", "0"], ["--months", "-1"], ["--days", "-2"]])
def test_every_step_below_one_is_refused(tmp_path, capsys, option):
    params = write_params(tmp_path, CALENDAR)
    before = params.read_text()
    assert main(["roll", "--params", str(params), *option]) == 2
    assert capsys.readouterr().err == f"windows: --months/--days must be at least 1, got {option[1]}\n"
    assert params.read_text() == before


def test_a_roll_into_an_invalid_file_is_refused_naming_it(tmp_path, capsys):
    params = write_params(tmp_path, CALENDAR)
    params.write_text(params.read_text().replace("train:", "train:\n    bogus: 1", 1))
    assert main(["roll", "--params", str(params)]) == 2
    assert str(params) in capsys.readouterr().err


def test_the_markdown_table_in_full(tmp_path):
    before = load_params(write_params(tmp_path, CALENDAR)).split
    assert markdown_table(before, roll(before, Step(months=1))) == (
        "| Window | Before | After |\n"
        "|---|---|---|\n"
        "| train | 2013-01-01 → 2013-07-01 | 2013-02-01 → 2013-08-01 |\n"
        "| test | 2013-07-01 → 2013-10-01 | 2013-08-01 → 2013-11-01 |\n"
        "| reference | 2013-04-01 → 2013-07-01 | 2013-05-01 → 2013-08-01 |\n"
        "| production | 2013-10-01 → 2014-01-01 | 2013-11-01 → 2014-02-01 |\n"
    )


def test_steps_of_one_month_and_one_day_and_their_names(tmp_path):
    month = {**CALENDAR, "production": {"start": "2013-10-01", "end": "2013-11-01"}}
    assert default_step(load_params(write_params(tmp_path, month)).split) == Step(months=1)
    day = {**DAYS, "production": {"start": "2024-01-24", "end": "2024-01-25"}}
    assert default_step(load_params(write_params(tmp_path, day)).split) == Step(days=1)
    assert (str(Step(months=2)), str(Step(days=5))) == ("2 month(s)", "5 day(s)")


def test_a_random_split_has_no_default_step(tmp_path):
    raw = yaml.safe_load((ROOT / "params.yaml").read_text())
    raw["split"] = {"by": "random", "fractions": {"train": 0.7, "test": 0.15, "production": 0.15}}
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(raw))
    with pytest.raises(ValueError, match=r"^the split has no production window \(split.by: random\): nothing to roll$"):
        default_step(load_params(tmp_path / "params.yaml").split)
