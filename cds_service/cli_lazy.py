"""A click group whose heavier sub-command groups are imported only when they are run.

`pannet-cds --help` lists them from their one-line help given here, so it imports nothing of
theirs; `tests/test_cli_imports.py` checks that each line matches the group's own help.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import Any

import click

# sub-command name -> ("module:attribute" of its click group, its one-line help)
LazyCommands = Mapping[str, tuple[str, str]]


class LazyGroup(click.Group):
    def __init__(self, *args: Any, lazy_commands: LazyCommands | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.lazy_commands = dict(lazy_commands or {})

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy_commands})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.lazy_commands:
            return load_command(self.lazy_commands[cmd_name][0])
        return super().get_command(ctx, cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """As click's, with the lazy groups' help taken from `lazy_commands`."""
        names = self.list_commands(ctx)
        if not names:
            return
        limit = formatter.width - 6 - max(len(name) for name in names)
        rows = []
        for name in names:
            if name in self.lazy_commands:
                # a bare command with that help shortens it exactly as click does
                stand_in = click.Command(name, help=self.lazy_commands[name][1])
                rows.append((name, stand_in.get_short_help_str(limit)))
                continue
            command = super().get_command(ctx, name)
            if command is not None and not command.hidden:
                rows.append((name, command.get_short_help_str(limit)))
        with formatter.section("Commands"):
            formatter.write_dl(rows)


def load_command(target: str) -> click.Command:
    module_name, _, attribute = target.partition(":")
    command = getattr(importlib.import_module(module_name), attribute)
    if not isinstance(command, click.Command):
        raise TypeError(f"{target} is not a click command")
    return command
