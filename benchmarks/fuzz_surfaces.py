"""Long hypothesis runs of the round-two fuzz surfaces: session mode, the emulator's data plane, the CLI.

Not a CI test: it runs the CI property tests (``tests/reliability/test_fuzz_sessions.py``,
``test_fuzz_emulator.py``, ``test_fuzz_cli.py``) with every example budget multiplied by ``--scale``
(``RELIABILITY_SCALE``), new random examples with ``--random``, and prints each surface's requests and
outcomes (written by the tests to ``RELIABILITY_TALLY_DIR``). An oracle failure fails its test: the
count of failed tests is the count of oracle failures found (hypothesis stops a test at its first failure
and shrinks it).

Usage::

    python -m benchmarks.fuzz_surfaces [--scale 20] [--random] [--only sessions,emulator,cli] [--json PATH]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MODULES = {
    "sessions": "tests/reliability/test_fuzz_sessions.py",
    "emulator": "tests/reliability/test_fuzz_emulator.py",
    "cli": "tests/reliability/test_fuzz_cli.py",
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--scale", type=float, default=20.0)
    parser.add_argument("--random", action="store_true", help="new examples (RELIABILITY_RANDOM=1)")
    parser.add_argument("--only", default=",".join(MODULES))
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    results: dict[str, object] = {}
    failed_total = 0
    with tempfile.TemporaryDirectory() as tallies:
        for surface in args.only.split(","):
            env = dict(os.environ, RELIABILITY_SCALE=str(args.scale), RELIABILITY_TALLY_DIR=tallies)
            if args.random:
                env["RELIABILITY_RANDOM"] = "1"
            began = time.monotonic()
            run = subprocess.run(
                [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", MODULES[surface]],
                cwd=ROOT,
                env=env,
                capture_output=True,
                text=True,
            )
            seconds = time.monotonic() - began
            summary = run.stdout.strip().splitlines()[-1] if run.stdout.strip() else run.stderr[-500:]
            failed = int(m.group(1)) if (m := re.search(r"(\d+) failed", summary)) else 0
            failed_total += failed + (1 if run.returncode not in (0, 1) else 0)
            tally_file = Path(tallies) / f"{surface}.json"
            tally = (
                json.loads(tally_file.read_text()) if tally_file.exists() else {"requests": 0, "outcomes": {}}
            )
            results[surface] = {
                **tally,
                "failed_tests": failed,
                "seconds": round(seconds, 1),
                "pytest": summary,
            }
            print(
                f"\n{surface}: {tally['requests']} requests in {seconds:.0f} s, {failed} failed tests ({summary})"
            )
            for label, count in sorted(tally["outcomes"].items(), key=lambda item: -item[1]):
                print(f"  {count:>8}  {label}")
            if failed:
                print(run.stdout[-4000:])
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")
    return 1 if failed_total else 0


if __name__ == "__main__":
    sys.exit(main())
