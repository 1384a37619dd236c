"""Markdown building blocks for reports read on GitHub: numbers, tables, folds and native charts.

Everything here is pure and total: any value (None, NaN, inf, a string where a number was
expected, 1e300) renders as something readable, never an exception, because a report that
crashes on odd metrics hides exactly the run that needed looking at.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TypeGuard

MISSING = "—"


def finite(value: object) -> TypeGuard[int | float]:
    """A real number we can compute with (an int beyond float range, 10**400 from JSON, is not)."""
    if not isinstance(value, int | float) or isinstance(value, bool):
        return False
    try:
        return math.isfinite(value)
    except OverflowError:
        return False


def as_number(value: object) -> float | None:
    return float(value) if finite(value) else None


def number(value: object, digits: int = 4) -> str:
    """Short and exact enough to compare: 0.7407, 15.78, 84,448, 1.23e+15; anything else is —."""
    if not finite(value):
        return MISSING
    if value == 0:
        return "0"
    size = abs(value)
    if size >= 1e15 or size < 1e-4:
        return f"{value:.3g}"
    if size >= 1000 or (isinstance(value, int) or float(value).is_integer()):
        return f"{value:,.0f}"
    text = f"{value:#.{digits}g}"  # "#" keeps trailing zeros: 0.4190 lines up with 0.4264
    if "e" in text or abs(float(text)) >= 1000:  # rounded up past the digits: 999.99 -> 1.00e+03
        return f"{value:,.0f}"
    return text.removesuffix(".")  # but not a bare point: 123.456 -> "123", not "123."


def signed(value: object, digits: int = 3) -> str:
    """A change: with its sign, and one digit less than the values it compares."""
    if not finite(value):
        return MISSING
    if value == 0:
        return "0"
    return ("+" if value > 0 else "-") + number(abs(value), digits)


def fixed(value: object, places: int = 4) -> str:
    """Same decimals in every row, for columns of small numbers read against each other."""
    return f"{value:.{places}f}" if finite(value) and abs(value) < 1e15 else number(value)


def signed_fixed(value: object, places: int = 4) -> str:
    return f"{value:+.{places}f}" if finite(value) and abs(value) < 1e15 else signed(value)


def places_like(value: object, significant: int = 4) -> int:
    """The decimals ``number`` gives a value of this size: changes then line up with the values."""
    if not finite(value) or value == 0:
        return significant
    return max(0, significant - 1 - math.floor(math.log10(abs(value))))


def signed_interval(value: object, low: object, high: object, like: object) -> str:
    """+0.0007 [+0.0003, +0.0011]: a change and its interval, to the decimals of ``like``'s values."""
    places = places_like(like)
    if not (finite(low) and finite(high)):
        return signed_fixed(value, places)
    return f"{signed_fixed(value, places)} [{signed_fixed(low, places)}, {signed_fixed(high, places)}]"


def relative(delta: object, base: object) -> str:
    """The change as a percentage of the base value; — when there is no meaningful base."""
    if not (finite(delta) and finite(base)) or base == 0:
        return MISSING
    percent = delta / abs(base) * 100
    if not math.isfinite(percent):
        return MISSING
    if percent == 0:
        return "0%"
    if abs(percent) >= 1e6:
        return f"{percent:+.3g}%"
    if abs(percent) >= 1000:
        return f"{percent:+,.0f}%"
    if abs(percent) < 1:
        return f"{percent:+.2g}%"
    return f"{percent:+.1f}%"


def size_in_bytes(value: object) -> str:
    if not finite(value):
        return MISSING
    size = float(value)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if abs(size) < 1024 or unit == "TiB":
            return f"{size:,.0f} {unit}" if unit == "B" else f"{size:,.3g} {unit}"
        size /= 1024
    return MISSING  # unreachable: the loop returns at TiB


def signed_size_in_bytes(value: object) -> str:
    if not finite(value):
        return MISSING
    if value == 0:
        return "0"
    return ("+" if value > 0 else "-") + size_in_bytes(abs(value))


def cell(text: object) -> str:
    """Table-safe text: a pipe or a newline inside a cell would break the table."""
    return str(text).replace("\\", "\\\\").replace("|", "\\|").replace("\r", " ").replace("\n", " ")


def code(text: object) -> str:
    """Inline code that survives backticks in the text."""
    text = str(text)
    fence = "``" if "`" in text else "`"
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def table(headers: Sequence[str], rows: Sequence[Sequence[object]], align: str = "") -> str:
    """A GitHub table; ``align`` has one letter per column: l (default), r or c."""
    marks = {"l": "---", "r": "---:", "c": ":---:"}
    align = align.ljust(len(headers), "l")
    lines = [
        "| " + " | ".join(cell(h) for h in headers) + " |",
        "|" + "|".join(marks[a] for a in align[: len(headers)]) + "|",
    ]
    lines += ["| " + " | ".join(cell(value) for value in row) + " |" for row in rows]
    return "\n".join(lines)


def details(summary: str, body: str, open_: bool = False) -> str:
    """A folded section; blank lines around the body let GitHub render markdown inside it."""
    return f"<details{' open' if open_ else ''}><summary>{summary}</summary>\n\n{body.strip()}\n\n</details>"


def _chart_text(text: str) -> str:
    return '"' + text.replace('"', "'").replace("\n", " ") + '"'


def _chart_number(value: float) -> str:
    """Plain decimals, as mermaid's chart grammar reads no exponent (1e+06 would break the chart):
    three places, or three significant digits for smaller numbers (0.000123)."""
    small = finite(value) and 0 < abs(value) < 0.1
    places = min(2 - math.floor(math.log10(abs(value))), 12) if small else 3
    return f"{value:.{places}f}".rstrip("0").rstrip(".")


def xychart(
    title: str,
    x_label: str,
    y_label: str,
    lines: Sequence[tuple[str, Sequence[float]]],
    x_range: tuple[float, float] = (0, 1),
    y_range: tuple[float, float] = (0, 1),
    colors: Sequence[str] = (),
) -> str:
    """A mermaid ``xychart-beta`` line chart, which GitHub renders natively in comments.

    Values are spread evenly over ``x_range`` (a linear x axis), so each line must be sampled on
    the same even grid. ``colors`` are applied to the lines in order (mermaid draws no legend in
    the versions GitHub runs, so the caption next to the chart names the colours).
    """
    body = []
    if colors:
        palette = ", ".join(colors)
        body.append('%%{init: {"themeVariables": {"xyChart": {"plotColorPalette": "' + palette + '"}}}}%%')
    body += [
        "xychart-beta",
        f"    title {_chart_text(title)}",
        f"    x-axis {_chart_text(x_label)} {_chart_number(x_range[0])} --> {_chart_number(x_range[1])}",
        f"    y-axis {_chart_text(y_label)} {_chart_number(y_range[0])} --> {_chart_number(y_range[1])}",
    ]
    for name, values in lines:
        body.append(f"    line {_chart_text(name)} [{', '.join(_chart_number(v) for v in values)}]")
    return "```mermaid\n" + "\n".join(body) + "\n```"
