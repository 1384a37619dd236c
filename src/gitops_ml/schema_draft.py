"""Draft schema.yaml from a table and point params.yaml at it: ``make schema DATA=... TARGET=...``.

    python -m gitops_ml.schema_draft --data DATA --target TARGET [--timestamp COL] [--key a,b]
        [--task classification|regression] [--positive LABEL] [--project NAME]
        [--schema schema.yaml] [--params params.yaml] [--format csv|parquet]

The draft works as written (``make run`` succeeds on the same table); every guess is a YAML
comment in the files saying what was observed and what was chosen, for a human to confirm or
correct (docs/your-data.md). params.yaml keeps its comments and every key not listed in the docs.
Both files are checked (schema.read_schema, config.parse_params + check_against) before either is
replaced; a refusal exits 2 with one line and writes nothing.
"""

from __future__ import annotations

import argparse
import io
import re
import sys
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from gitops_ml import schema_infer as infer
from gitops_ml.config import PARAMS_FILE, ConfigError, ProjectParams, parse_params
from gitops_ml.io import atomic_path
from gitops_ml.schema import SCHEMA_FILE, SchemaError, read_schema
from gitops_ml.tables import TableError, read_table, table_format
from gitops_ml.windows import WINDOWS, _yaml

DRAFT_MARK = "draft: "  # params.yaml comment lines written here start with it; a re-run replaces them
DRAFT_LINES = re.compile(rf"(?m)^[ \t]*# {DRAFT_MARK}.*\n")
RANDOM_FRACTIONS = {"train": 0.7, "test": 0.15, "production": 0.15}
LATENCY = "latency_single_row_ms_p50"
# First-run gates: loose floors (a model no better than chance fails), tolerances vs the base branch.
GATES: dict[str, dict[str, dict[str, Any]]] = {
    "classification": {
        "roc_auc": {"minimum": 0.5, "abs_tolerance": 0.01},
        "pr_auc": {"abs_tolerance": 0.01},
        "log_loss": {"abs_tolerance": 0.01},
        LATENCY: {"maximum": 100, "vs_baseline": False},
    },
    "regression": {
        "rmse": {"rel_tolerance": 0.02},
        "mae": {"rel_tolerance": 0.02},
        "r2": {"abs_tolerance": 0.01},
        LATENCY: {"maximum": 100, "vs_baseline": False},
    },
}


# ---- YAML helpers ---------------------------------------------------------------------------


def _scalar(value: Any) -> Any:
    """Strings quoted when PyYAML (which DVC and the pipeline read with) would not read them back as the
    same text: yes/no/on, 1:20, dates, numbers as text. ruamel writes YAML 1.2, where most are plain."""
    from ruamel.yaml.scalarstring import DoubleQuotedScalarString

    if not isinstance(value, str):
        return value
    try:
        plain = yaml.safe_load(value) == value and value == value.strip()
    except yaml.YAMLError:
        plain = False
    return value if plain else DoubleQuotedScalarString(value)


def _quoted(value: Any) -> Any:
    from ruamel.yaml.scalarstring import DoubleQuotedScalarString

    return DoubleQuotedScalarString(value) if isinstance(value, str) else value


def _flow_seq(items: list) -> Any:
    from ruamel.yaml.comments import CommentedSeq

    seq = CommentedSeq(items)
    seq.fa.set_flow_style()
    return seq


def _flow_map(items: dict) -> Any:
    from ruamel.yaml.comments import CommentedMap

    mapping = CommentedMap(items)
    mapping.fa.set_flow_style()
    return mapping


def _float(representer, value: float):
    """PyYAML reads 1e-05 as text: floats always carry a dot and a signed exponent."""
    text = repr(value)
    if "e" in text:
        mantissa, exponent = text.split("e")
        text = f"{mantissa if '.' in mantissa else mantissa + '.0'}e{'' if exponent[0] in '+-' else '+'}{exponent}"
    return representer.represent_scalar("tag:yaml.org,2002:float", text)


def _schema_yaml():
    from ruamel.yaml import YAML
    from ruamel.yaml.representer import RoundTripRepresenter

    class Representer(RoundTripRepresenter):  # own class: the float rule must not leak into other dumps
        pass

    Representer.add_representer(float, _float)
    Representer.add_representer(
        type(None), lambda representer, _: representer.represent_scalar("tag:yaml.org,2002:null", "null")
    )
    writer = YAML()
    writer.Representer = Representer
    writer.width = 4096
    writer.indent(mapping=2, sequence=4, offset=2)
    return writer


def _dump(writer, document: Any) -> str:
    buffer = io.StringIO()
    writer.dump(document, buffer)
    return buffer.getvalue()


# ---- schema.yaml ----------------------------------------------------------------------------


def _header(draft: infer.SchemaDraft, location: str) -> str:
    lines = [
        f"Drafted by `make schema` from {location} ({draft.rows} rows). The pipeline runs on it as written;",
        "every guess is a comment: confirm or correct each (docs/your-data.md), then delete the comment.",
    ]
    if draft.sampled:
        lines.append(
            f"Kinds were guessed from a {infer.MAX_INFER_ROWS}-row sample; ranges, categories, null limits: all rows."
        )
    lines += [
        "",
        "kind: datetime | category | float | int.   role: input (fed to the model) | target | other (kept, not fed)",
        "range: [min, max] (null = open).  max_null_fraction: share of rows that may be null (0 = none).",
        "categories: the only values accepted.  drift: false keeps an input out of the drift check.",
        "",
    ]
    return "\n".join(lines)


def _top_notes(draft: infer.SchemaDraft) -> dict[str, str]:
    others = [name for name in draft.datetime_columns if name != draft.timestamp]
    if draft.timestamp:
        timestamp = "given: time-window splits and time features"
    elif others:
        timestamp = f"none given: TIMESTAMP={others[0]} (make schema) enables time-window splits"
    else:
        timestamp = "no time column: random split"
    return {
        "task": f"classification (two classes) | regression; {draft.notes['task']}",
        "positive_label": f"the class whose probability is predicted; {draft.notes.get('positive_label', '')}",
        "timestamp": timestamp,
        "key": "given: unique per row" if draft.key else "columns unique per row (KEY=a,b); none given",
        "leakage": "columns known only after the outcome (move them here from columns): none guessed, check",
        "missing_target": "rows without a target are dropped and counted | reject",
    }


def _column_map(column: infer.ColumnDraft) -> Any:
    from ruamel.yaml.comments import CommentedMap

    entry = column.entry()
    mapping = CommentedMap()
    for key, value in entry.items():
        if key in ("range", "categories"):
            value = _flow_seq([_scalar(item) if key == "range" else _quote_label(item, column) for item in value])
        mapping[key] = _scalar(value) if key == "name" else value
    notes = dict(column.notes)
    stray = [notes.pop(key) for key in list(notes) if key not in mapping]  # e.g. drift when left at the default
    if stray:
        notes["kind"] = "; ".join(filter(None, [notes.get("kind"), *stray]))
    for key, note in notes.items():
        mapping.yaml_add_eol_comment(f"# {note}", key)
    return mapping


def _quote_label(label: Any, column: infer.ColumnDraft) -> Any:
    return _quoted(label) if column.kind == "category" else label


def render_schema(draft: infer.SchemaDraft, location: str) -> str:
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    document = CommentedMap()
    document["task"] = draft.task
    document["target"] = _scalar(draft.target)
    if draft.task == "classification":
        document["positive_label"] = _quoted(draft.positive_label)
    document["timestamp"] = _scalar(draft.timestamp)
    document["key"] = _flow_seq([_scalar(name) for name in draft.key])
    document["leakage"] = _flow_seq([])
    document["missing_target"] = "drop"
    document["columns"] = CommentedSeq(_column_map(column) for column in draft.columns)
    for key, note in _top_notes(draft).items():
        if key in document:
            document.yaml_add_eol_comment(f"# {note}", key)
    document.yaml_set_start_comment(_header(draft, location))
    return _dump(_schema_yaml(), document)


# ---- params.yaml ----------------------------------------------------------------------------


def _section(document: Any, *path: str) -> Any:
    from ruamel.yaml.comments import CommentedMap

    node = document
    for key in path:
        if not isinstance(node.get(key), dict):
            node[key] = CommentedMap()
        node = node[key]
    return node


def _note(document: Any, key: str, *lines: str) -> None:
    document.yaml_set_comment_before_after_key(key, before="\n".join(f"{DRAFT_MARK}{line}" for line in lines))


def _set_split(document: Any, draft: infer.SchemaDraft, windows: dict | None, why_random: str) -> None:
    split = _section(document, "split")
    if windows:
        split["by"] = "time"
        for name in WINDOWS:  # quoted: DVC params cannot hold YAML dates
            start, end = windows[name]
            split[name] = _flow_map({"start": _quoted(start), "end": _quoted(end)})
        _note(
            document,
            "split",
            f"by time on {draft.timestamp}: train = first ~60% of rows, test next ~20%, production last ~20%,",
            "reference = the ~20% before test; cut at whole days from the data: adjust to calendar periods",
        )
        return
    split["by"] = "random"
    for name in WINDOWS:
        split.pop(name, None)  # another table's dates would only mislead
    split["fractions"] = _flow_map(dict(RANDOM_FRACTIONS))
    _note(document, "split", f"by random: {why_random}")


def _set_gates(document: Any, task: str) -> None:
    from ruamel.yaml.comments import CommentedMap

    metrics = CommentedMap((name, _flow_map(dict(gate))) for name, gate in GATES[task].items())
    metrics.yaml_set_comment_before_after_key(
        LATENCY, before="Timings depend on the runner (the base's came from another machine): a ceiling only.", indent=4
    )
    _section(document, "gate")["metrics"] = metrics
    _note(
        document,
        "gate",
        f"the {task} defaults: loose floors so a first run passes; once it has run, set floors just below",
        "reports/metrics.json and tighten the tolerances (docs/pull-requests.md)",
    )


def update_params(
    text: str,
    draft: infer.SchemaDraft,
    location: str,
    data_format: str | None,
    project: str | None,
    windows: dict | None,
) -> str:
    """params.yaml text pointed at the table and fitted to the draft; comments and other keys kept."""
    writer = _yaml()
    document = writer.load(DRAFT_LINES.sub("", text))
    if project:
        _section(document, "project")["name"] = project
    data = _section(document, "data")
    data["source"] = _scalar(location)
    data["format"] = data_format
    data["options"] = _flow_map({})
    data["sample_fraction"] = 1.0
    _note(
        document,
        "data",
        f"source = the table schema.yaml was drafted from ({draft.rows} rows); options: none for files",
    )

    why_random = _why_random(draft, windows)
    _set_split(document, draft, windows, why_random)
    validate = _section(document, "validate")
    validate["min_rows"] = min(int(validate.get("min_rows", 1000)), max(1, draft.rows // 2))
    _note(document, "validate", "min_rows at most half the drafted table's rows: raise it to what a good extract has")
    _section(document, "train")["threshold"] = 0.5
    _note(document, "train", "threshold 0.5 (neutral) for classification: tune it on the PR report's curves")
    evaluate = _section(document, "evaluate")
    evaluate["slices"] = _flow_seq([_scalar(name) for name in infer.slice_columns(draft)])
    evaluate["min_slice_rows"] = min(int(evaluate.get("min_slice_rows", 100)), max(10, draft.rows // 50))
    _note(document, "evaluate", "slices: category inputs with 2-20 values (fewest first) and the timestamp's month")
    _set_gates(document, draft.task)
    drift = _section(document, "drift")
    drift["columns"] = _flow_map({})
    performance = _section(document, "drift", "performance")
    performance["metric"] = None
    performance["max_drop"] = None
    return _dump(writer, document).rstrip("\n") + "\n"


def _why_random(draft: infer.SchemaDraft, windows: dict | None) -> str:
    if draft.timestamp and windows is None:
        return f"{draft.timestamp} spans fewer than {infer.MIN_DISTINCT_DAYS} distinct days: too short to cut by days"
    others = draft.datetime_columns
    if others:
        return f"no timestamp given; TIMESTAMP={others[0]} (make schema) would split by time"
    return "no timestamp: seeded fractions"


# ---- the command ----------------------------------------------------------------------------


def _format_for_params(location: str, given: str | None) -> str | None:
    """null when the file name tells the format (the params stay short), else what was given."""
    if given is None:
        return None
    try:
        return None if table_format(location) == given else given
    except TableError:
        return given


def write_checked(schema_path: Path, schema_text: str, params_path: Path, params_text: str) -> None:
    """Both files replaced only when the schema loads and the params fit it; else neither."""
    with atomic_path(schema_path) as schema_tmp, atomic_path(params_path) as params_tmp:
        schema_tmp.write_text(schema_text)
        schema = read_schema(schema_tmp)
        params_tmp.write_text(params_text)
        params = parse_params(yaml.safe_load(params_text), str(params_path))
        params.check_against(schema)


def summary(draft: infer.SchemaDraft, args: argparse.Namespace, windows: dict | None) -> str:
    columns = draft.by_name()
    others = [name for name, column in columns.items() if column.role == "other"]
    inputs = [name for name, column in columns.items() if column.role == "input"]
    checks = []
    if draft.task == "classification":
        checks.append(f"task classification, positive_label {draft.positive_label!r} ({draft.notes['positive_label']})")
    else:
        checks.append("task regression: " + draft.notes["task"])
    checks.append("leakage: list the columns known only after the outcome (none guessed)")
    if others:
        checks.append(f"role other (not fed to the model): {', '.join(others)}")
    checks.append("ranges are the observed values widened by 10%; category lists are exhaustive")
    split = f"by time on {draft.timestamp}" if windows else "by random (70/15/15)"
    checks.append(f"split {split}; gate floors are loose first-run defaults")
    lines = [
        f"Wrote {args.schema} ({len(columns)} columns: {len(inputs)} inputs, target {draft.target!r}) and updated "
        f"{args.params} for {args.data} ({draft.rows} rows).",
        "Check (each guess is a comment in the files; docs/your-data.md):",
        *(f"  - {check}" for check in checks),
        "Then: make run",
    ]
    return "\n".join(lines)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m gitops_ml.schema_draft", description=__doc__.split("\n")[0])
    parser.add_argument("--data", required=True, help="the table: a .csv/.parquet path or fsspec URL")
    parser.add_argument("--target", required=True, help="the column the model predicts")
    parser.add_argument("--timestamp", help="when each row happened (enables time-window splits)")
    parser.add_argument("--key", help="comma-separated columns unique per row")
    parser.add_argument("--task", choices=("classification", "regression"), help="default: guessed from the target")
    parser.add_argument("--positive", help="the positive class (classification); default: guessed")
    parser.add_argument("--project", help="also set project.name")
    parser.add_argument("--schema", type=Path, default=SCHEMA_FILE)
    parser.add_argument("--params", type=Path, default=PARAMS_FILE)
    parser.add_argument("--format", choices=("csv", "parquet"), help="when the file name does not tell")
    return parser.parse_args(argv)


def draft_files(args: argparse.Namespace) -> tuple[infer.SchemaDraft, dict | None]:
    if args.project:
        _check_project(args.project)
    params_text = args.params.read_text()
    frame = read_table(args.data, args.format)
    key = [name.strip() for name in args.key.split(",") if name.strip()] if args.key else []
    draft = infer.draft_schema(frame, args.target, args.timestamp, key, args.task, args.positive)
    windows = infer.time_windows(frame[draft.timestamp]) if draft.timestamp else None
    schema_text = render_schema(draft, args.data)
    new_params = update_params(
        params_text, draft, args.data, _format_for_params(args.data, args.format), args.project, windows
    )
    write_checked(args.schema, schema_text, args.params, new_params)
    return draft, windows


def _check_project(name: str) -> None:
    try:
        ProjectParams(name=name)
    except ValidationError:
        raise infer.DraftError(
            f"--project {name!r}: lower-case letters, digits and dashes, starting with a letter"
        ) from None


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        draft, windows = draft_files(args)
    except (OSError, TableError, infer.DraftError, SchemaError, ConfigError) as error:
        message = error.strerror if isinstance(error, OSError) and error.strerror else str(error)
        where = f"{error.filename}: " if isinstance(error, OSError) and error.filename else ""
        print(f"make schema: {where}{message}", file=sys.stderr)
        return 2
    print(summary(draft, args, windows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
