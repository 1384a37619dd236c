"""python -m gitops_ml.drift: compare current data with the reference window and decide.

Exit codes: 0 the check ran (whatever it decided: read "status" in summary.json: drift, no_drift
or insufficient_data); 1 drift was found and --fail-on-drift was given; 2 the check could not run
(unreadable source, missing column, wrong type, empty reference, bad params.yaml), with a message.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from gitops_ml.config import ConfigError, load_params
from gitops_ml.drift import DriftInputError, check, decision
from gitops_ml.schema import SchemaError, load_schema


def _github_outputs(summary: dict, out_dir: Path) -> None:
    """On GitHub Actions: the markdown in the job summary, the status as a step output."""
    if step_summary := os.environ.get("GITHUB_STEP_SUMMARY"):
        with open(step_summary, "a") as file:
            file.write((out_dir / check.SUMMARY_MD).read_text())
    if output := os.environ.get("GITHUB_OUTPUT"):
        with open(output, "a") as file:
            file.write(f"status={summary['decision']['status']}\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m gitops_ml.drift", description=__doc__.split("\n")[0])
    parser.add_argument(
        "--source",
        help="production | logs | a parquet/CSV path or fsspec URL (default: drift.source in params.yaml)",
    )
    parser.add_argument("--params", type=Path, default=Path("params.yaml"))
    parser.add_argument("--out", type=Path, default=check.OUT_DIR, help="where the reports go (default: %(default)s)")
    parser.add_argument("--fail-on-drift", action="store_true", help="exit 1 when drift is found")
    parser.add_argument("--github", action="store_true", help="also write the GitHub job summary and step output")
    args = parser.parse_args(argv)

    try:
        params, schema = load_params(args.params), load_schema()
        params.check_against(schema)
        summary = check.run(params.drift, schema, params.project.identifier, args.source or None, args.out)
    except (ConfigError, SchemaError, DriftInputError) as error:
        print(f"drift: {error}", file=sys.stderr)
        return 2
    print(decision.render_markdown(summary), end="")
    print(f"\nReports: {args.out}/{{{check.SUMMARY_JSON},{check.SUMMARY_MD},{check.REPORT_HTML}}}")
    if args.github:
        _github_outputs(summary, args.out)
    status = summary["decision"]["status"]
    return 1 if args.fail_on_drift and status == decision.DRIFT else 0


if __name__ == "__main__":
    sys.exit(main())
