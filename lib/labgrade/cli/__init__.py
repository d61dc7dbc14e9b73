"""labgrade: grade Lab 4.4 with nbgrader, in parallel, with limits, feedback and reports.

  labgrade demo          release the lab, build the sample class, grade it (make demo)
  labgrade grade         grade submitted/<student>/weight_init/ (make grade)
  labgrade report        rewrite grades.csv and the report from the gradebook (after manual grading)
  labgrade lab           JupyterLab on the student release (make lab)
  labgrade release       regenerate release/ and notebooks/ from source/ (make release, make check-release)
  labgrade sample        write the sample class into a folder
  labgrade catalogue     run the answer catalogue through the notebooks' own hidden tests
  labgrade differential  grade the answer catalogue with and without the sandbox, compare
  labgrade fairness      measure how often labcheck's statistical checks fail a correct answer
  labgrade hub           the course on a JupyterHub, as root (make hub; docs/hub.md)
  labgrade collect       nbgrader's collect from the exchange, checked (then labgrade grade)
  labgrade release-feedback  feedback (manual grades included) to the exchange

Run ``labgrade <command> --help`` for the options.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading

from labgrade.cli import (
    catalogue,
    collect,
    demo,
    differential,
    fairness,
    grade,
    hub,
    lab,
    release,
    release_feedback,
    report,
    sample,
)
from labgrade.course.config import ConfigError
from labgrade.grading.cluster import ClusterError
from labgrade.grading.gradebook import GradebookError
from labgrade.pipeline import IsolationUnavailable
from labgrade.variants.sample import MutationError

# one module per subcommand, each with HELP, DESCRIPTION, configure(parser) and run(args)
COMMANDS = {"grade": grade, "demo": demo, "report": report, "lab": lab, "release": release, "sample": sample,
            "catalogue": catalogue, "differential": differential, "fairness": fairness,
            "hub": hub, "collect": collect, "release-feedback": release_feedback}
# errors that are the user's to fix: one line, exit status 2, no traceback
USER_ERRORS = (GradebookError, MutationError, IsolationUnavailable, ConfigError, ClusterError)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="labgrade", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True, metavar="command")
    for name, module in COMMANDS.items():
        module.configure(sub.add_parser(name, help=module.HELP, description=module.DESCRIPTION,
                                        formatter_class=argparse.RawDescriptionHelpFormatter))
    return parser


def sigterm_as_interrupt() -> None:
    """SIGTERM (kill, a CI timeout) unwinds like Ctrl-C: the autograde subprocesses, which run
    in sessions of their own and would outlive us, are killed on the way out."""

    def handler(signum, frame):
        raise KeyboardInterrupt(f"signal {signum}")

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, handler)


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    if argv is None:        # the console script, not a call from Python (tests)
        sigterm_as_interrupt()
    os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    try:
        return COMMANDS[args.command].run(args)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except USER_ERRORS as exc:
        print(f"labgrade: {exc}", file=sys.stderr)
        return 2
