"""Rolling the split windows forward for a retrain: pure roll, comment-keeping rewrite, CLI."""

from __future__ import annotations

import datetime as dt

import yaml

from gitops_ml.config import load_params
from gitops_ml.windows import main, roll
from tests.support.project import ROOT


def test_roll_moves_every_window():
    split = load_params(ROOT / "params.yaml").split
    moved = roll(split, 3)
    for name in ("train", "test", "reference", "production"):
        before, after = getattr(split, name), getattr(moved, name)
        assert (after.start.month - before.start.month) % 12 == 3
        assert (after.end - after.start).days in range(
            (before.end - before.start).days - 3, (before.end - before.start).days + 4
        )


def test_cli_rewrites_only_the_windows(tmp_path, capsys):
    params = tmp_path / "params.yaml"
    original = (ROOT / "params.yaml").read_text()
    params.write_text(original)
    before = load_params(params).split
    assert main(["roll", "--params", str(params), "--markdown", str(tmp_path / "windows.md")]) == 0

    after = load_params(params).split
    months = (before.production.end.year - before.production.start.year) * 12 + (
        before.production.end.month - before.production.start.month
    )
    assert after == roll(before, months)
    changed = [
        (old, new)
        for old, new in zip(original.splitlines(), params.read_text().splitlines(), strict=True)
        if old != new
    ]
    assert len(changed) == 4 and all(old.split(":")[0] == new.split(":")[0] for old, new in changed)
    assert all('"' in new for _, new in changed)  # dates stay quoted strings for DVC
    assert yaml.safe_load(params.read_text())["split"]["train"]["start"] == after.train.start.isoformat()
    assert "| train |" in (tmp_path / "windows.md").read_text() and "| train |" in capsys.readouterr().out


def test_cli_refuses_a_bad_roll_and_writes_nothing(tmp_path, capsys):
    params = tmp_path / "params.yaml"
    params.write_text((ROOT / "params.yaml").read_text())
    before = params.read_text()
    assert main(["roll", "--params", str(params), "--months", "0"]) == 2
    assert "--months must be at least 1" in capsys.readouterr().err
    assert params.read_text() == before
    assert main(["roll", "--params", str(tmp_path / "nope.yaml")]) == 2


def test_window_dates_are_real_dates():
    moved = roll(load_params(ROOT / "params.yaml").split, 1)
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
