"""``python -m jobs.dev.monitor_demo``: what ``make monitor-demo`` runs."""

from __future__ import annotations

import argparse
import sys

from jobs.dev.monitor_demo.story import DEFAULT_AUTO_SECONDS, run


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="make monitor-demo", description="The instructor's story in acts, on the monitor."
    )
    parser.add_argument("--port", type=int, default=5678, help="the monitor's port")
    parser.add_argument("--burst", type=int, default=2000, help="jobs in a burst (at least 30)")
    parser.add_argument("--auto", action="store_true", help="go on by a timer, not on Enter")
    parser.add_argument(
        "--act-seconds",
        type=float,
        default=DEFAULT_AUTO_SECONDS,
        help="with --auto: how long each page is shown",
    )
    options = parser.parse_args(argv)
    if options.burst < 30:
        parser.error(f"--burst {options.burst}: a burst needs at least 30 jobs (BURST=30)")
    if options.act_seconds <= 0:
        parser.error(f"--act-seconds {options.act_seconds:g}: give a number of seconds above 0")
    return run(options.burst, options.port, options.act_seconds if options.auto else None)


if __name__ == "__main__":
    sys.exit(main())
