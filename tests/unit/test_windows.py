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
