"""Markdown building blocks: every value renders readably, nothing raises."""

from __future__ import annotations

import json
import math
import re

import pytest

from gitops_ml.markdown import (
    MISSING,
    code,
    details,
    fixed,
    number,
    relative,
    signed,
    signed_size_in_bytes,
    size_in_bytes,
    table,
    xychart,
)


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (0.74072, "0.7407"),
        (0.419, "0.4190"),  # trailing zero kept: columns line up
        (15.782, "15.78"),
        (123.456, "123.5"),
        (999.99, "1,000"),
        (84448, "84,448"),
        (84448.0, "84,448"),
        (1234567.891, "1,234,568"),
        (1e300, "1e+300"),
        (-2.5e-7, "-2.5e-07"),
        (0, "0"),
        (1, "1"),
    ],
)
def test_number_is_short_and_readable(value, text):
    assert number(value) == text


@pytest.mark.parametrize("value", [None, math.nan, math.inf, -math.inf, "0.7", True, [], {}, 10**400])
def test_anything_that_is_not_a_finite_number_is_a_dash(value):
    assert number(value) == MISSING
    assert signed(value) == MISSING
    assert fixed(value) == MISSING
    assert size_in_bytes(value) == MISSING
    assert relative(value, 1.0) == MISSING
    assert relative(1.0, value) == MISSING


def test_signed_changes():
    assert signed(0.008569) == "+0.00857"
    assert signed(-0.000295) == "-0.000295"
    assert signed(0) == "0"
    assert signed(-1e300) == "-1e+300"


def test_relative_change_in_percent():
    assert relative(0.01, 0.5) == "+2.0%"
    assert relative(-0.0004, 0.5) == "-0.08%"
    assert relative(0, 0.5) == "0%"
    assert relative(50, 1) == "+5,000%"
    assert relative(1e300, 1e-300) == MISSING  # overflows: no number to show
    assert relative(1.0, 0) == MISSING  # no meaningful base
    assert relative(1e10, 1) == "+1e+12%"


def test_sizes_in_binary_units():
    assert size_in_bytes(512) == "512 B"
    assert size_in_bytes(881313) == "861 KiB"
    assert size_in_bytes(3 * 1024**3) == "3 GiB"
    assert size_in_bytes(1e300).endswith("TiB")
    assert signed_size_in_bytes(-2048) == "-2 KiB"


def test_table_cells_cannot_break_the_table():
    rendered = table(["name", "value"], [["a|b", "line\nbreak"]], "lr")
    lines = rendered.splitlines()
    assert lines[:2] == ["| name | value |", "|---|---:|"]
    assert lines[2] == "| a\\|b | line break |"


def test_code_survives_backticks():
    assert code("x") == "`x`"
    assert code("a`b") == "``a`b``"


def test_details_leaves_blank_lines_for_markdown_inside():
    assert details("Title", "| a |\n") == "<details><summary>Title</summary>\n\n| a |\n\n</details>"


def test_xychart_is_a_well_formed_mermaid_line_chart():
    chart = xychart(
        'ROC "curve"', "fpr", "tpr", [("base", [0, 0.5, 1]), ("PR", [0, 0.6, 1.0])], colors=["#111", "#222"]
    )
    lines = chart.splitlines()
    assert lines[0] == "```mermaid" and lines[-1] == "```"
    init = re.fullmatch(r"%%\{init: (.*)\}%%", lines[1])
    assert json.loads(init.group(1)) == {"themeVariables": {"xyChart": {"plotColorPalette": "#111, #222"}}}
    assert lines[2] == "xychart-beta"
    assert lines[3] == "    title \"ROC 'curve'\""  # a double quote inside would end the string
    assert lines[4] == '    x-axis "fpr" 0 --> 1'
    assert lines[5] == '    y-axis "tpr" 0 --> 1'
    assert lines[6:8] == ['    line "base" [0, 0.5, 1]', '    line "PR" [0, 0.6, 1]']
