"""What the commands share: the program's name, ``UsageError``, and small parser helpers.

A command's function takes the parsed arguments and returns the exit status; it raises
:class:`UsageError` for a mistake the user can fix, which ``main`` prints as one line on stderr
with exit status 2 (argparse's own errors look the same). Only the command line uses these: the
library raises its ordinary errors (``ValueError``, ``OSError``...) and the commands turn them
into usage errors (:func:`user_errors`).
"""

from __future__ import annotations

import argparse
import functools
from collections.abc import Callable
from typing import Any

PROG = "firstlayer"

Run = Callable[[argparse.Namespace], int]


class UsageError(Exception):
    """A mistake in the command line: printed as one line on stderr, exit status 2."""


def command(subparsers: Any, name: str, help: str, description: str, run: Run) -> Any:
    """The parser of the subcommand ``name``: ``help`` is its line in ``firstlayer --help``,
    ``description`` heads ``firstlayer <name> --help``, ``run(args)`` does the work."""
    p = subparsers.add_parser(name, help=help, description=description)
    p.set_defaults(run=run)
    return p


def add_output(p: Any, metavar: str, help: str) -> None:
    """The required ``-o/--output`` file of the commands that write one."""
    p.add_argument("-o", "--output", required=True, metavar=metavar, help=help)


def one_line(exc: BaseException) -> str:
    """An exception's message on one line (or its type's name when it has none)."""
    return " ".join(str(exc).split()) or type(exc).__name__


def user_errors(run: Run) -> Run:
    """Turn the errors a user can fix into ``UsageError``: one line, exit status 2."""

    @functools.wraps(run)
    def wrapper(args: argparse.Namespace) -> int:
        try:
            return run(args)
        except UsageError:
            raise
        except KeyError as exc:  # KeyNotFoundError's message names the closest keys
            raise UsageError(str(exc)) from None
        except (OSError, ValueError, TypeError, EOFError) as exc:
            raise UsageError(one_line(exc)) from None

    return wrapper
