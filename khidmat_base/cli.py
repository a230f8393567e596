"""The command tree that every package's ``cli`` module registers its subcommands on.

A package contributes commands through a small ``cli`` module exposing
``register(tree: CommandTree) -> None`` that imports nothing heavy at import time. The
``khidmat`` command (khidmat/cli.py, on top) lists those modules and builds the parser;
this floor module only holds the tree, so a package can register without importing the
top. Not thread-safe (build the parser on one thread); building it costs milliseconds.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Mapping

Handler = Callable[[argparse.Namespace], int]
"""Runs a parsed command; returns the process exit code."""

_Formatter = argparse.RawDescriptionHelpFormatter  # keep the examples' line breaks


class CommandTree:
    """Collects subcommands (``agent``) and grouped subcommands (``sim sensor``).

    ``group_help`` gives each group's (help, example); a group is listed once one of its
    commands is added.
    """

    def __init__(
        self, parser: argparse.ArgumentParser, group_help: Mapping[str, tuple[str, str]]
    ) -> None:
        self._top = parser.add_subparsers(dest="command", metavar="COMMAND")
        self._group_help = group_help
        self._groups: dict[str, argparse._SubParsersAction] = {}

    def add(
        self, path: str, *, help: str, example: str, handler: Handler
    ) -> argparse.ArgumentParser:
        """Add a command at ``path`` ("hub" or "sim sensor"); returns its parser for arguments.

        ``example`` is one or more lines shown under "example:" in the command's help.
        """
        words = path.split()
        if len(words) == 1:
            parent = self._top
        elif len(words) == 2:
            parent = self._group(words[0])
        else:
            raise ValueError(f"command path too deep: {path!r}")
        parser = parent.add_parser(
            words[-1],
            help=help,
            description=help,
            epilog="example:\n  " + "\n  ".join(example.strip().splitlines()),
            formatter_class=_Formatter,
        )
        parser.set_defaults(handler=handler)
        return parser

    def _group(self, name: str) -> argparse._SubParsersAction:
        if name not in self._groups:
            if name not in self._group_help:
                raise ValueError(f"command group {name!r} has no help text")
            group_help, example = self._group_help[name]
            group_parser = self._top.add_parser(
                name,
                help=group_help,
                description=group_help,
                epilog="example:\n  " + example,
                formatter_class=_Formatter,
            )
            group_parser.set_defaults(handler=_group_usage(group_parser))
            self._groups[name] = group_parser.add_subparsers(
                dest="subcommand", metavar="SUBCOMMAND"
            )
        return self._groups[name]


def _group_usage(parser: argparse.ArgumentParser) -> Handler:
    def show(_: argparse.Namespace) -> int:
        parser.print_help()
        return 2

    return show
