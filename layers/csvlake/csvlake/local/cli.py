"""`csvlake`: the command line that runs the ingestion on your own machine and reads its reports."""

from __future__ import annotations

import argparse
import contextlib
import os
import sys

from .commands import contract_draft, demo, invoke, process, replay, report, serve
from .console import EXIT_CODES, FAILED, CliError

# In the order `csvlake --help` lists them.
COMMANDS = (process, report, demo, serve, invoke, replay, contract_draft)


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(
        prog="csvlake",
        description="Run csvlake's ingestion on your own machine, and read its reports.",
        epilog=EXIT_CODES + "\n\n`csvlake COMMAND --help` describes each command.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    subparsers = top.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in COMMANDS:
        command.add_parser(subparsers)
    return top


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return args.run(args)
    except CliError as exc:
        print(f"csvlake: error: {exc}", file=sys.stderr)
        return exc.code
    except KeyboardInterrupt:
        print("csvlake: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # `csvlake report … | head`: the reader left; say nothing more, and keep Python's exit flush quiet.
        with contextlib.suppress(OSError, ValueError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return FAILED


if __name__ == "__main__":
    sys.exit(main())
