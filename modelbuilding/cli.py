"""Command line of the model-building side: ``python -m modelbuilding <command>``.

Each command lives beside the code it drives: a module registers its sub-commands through an
``add_cli(subparsers)`` function that sets ``func`` on its parser. ``func(args)`` returns the
exit code. Errors the user can act on (AnalysisError, missing files) print one line to stderr
and exit non-zero.
"""

import argparse
import os
import sys

from diagnosis.ml.errors import AnalysisError

from . import build, evaluate, predict, synth, synthetic, train

# Modules that register commands, in the order `--help` lists them.
COMMAND_MODULES = (synth, train, evaluate, predict, synthetic, build)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m modelbuilding", description=__doc__)
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in COMMAND_MODULES:
        module.add_cli(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except AnalysisError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 2
    except (FileNotFoundError, IsADirectoryError, PermissionError) as exc:
        print(f"error: {exc.strerror or exc}: {exc.filename}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        # The reader left early (`... | head`): say nothing, and keep Python from printing a
        # second error while flushing stdout at exit.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130
