"""The line `make mutation` ends with: `mutation score: K/N killed (P%)`, from mutmut's own counts.

mutmut writes its counts with `mutmut export-cicd-stats` (mutants/mutmut-cicd-stats.json). A mutant
counts as killed when a test failed on it or it timed out (an endless loop is caught too); every
other mutant that was run (survived, no covering test, suspicious, segfault) counts against the
score. Mutants mutmut skipped are left out of N. Exits 1 below the threshold, so CI fails.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

STATS = Path("mutants/mutmut-cicd-stats.json")


def score(stats: dict[str, int]) -> tuple[int, int]:
    killed = stats["killed"] + stats["timeout"]
    total = stats["total"] - stats["skipped"]
    return killed, total


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--stats", type=Path, default=STATS)
    parser.add_argument("--threshold", type=float, default=85.0, help="minimum percentage killed")
    args = parser.parse_args(argv)
    killed, total = score(json.loads(args.stats.read_text()))
    if total == 0:
        print("mutation score: no mutant was run", file=sys.stderr)
        return 1
    percent = 100 * killed / total
    print(f"mutation score: {killed}/{total} killed ({percent:.1f}%)")
    return 0 if percent >= args.threshold else 1


if __name__ == "__main__":
    sys.exit(main())
