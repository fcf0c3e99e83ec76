"""`ocpi-engine` command line. Each subcommand module registers itself with one line in COMMAND_MODULES."""

from __future__ import annotations

import importlib

import click

from ocpi_engine.cli._common import settings_options

__all__ = ["main", "COMMAND_MODULES"]

COMMAND_MODULES: list[str] = [
    "ocpi_engine.cli.serve",
    "ocpi_engine.cli.partners",
    "ocpi_engine.cli.importing",
    "ocpi_engine.cli.pricing",
    "ocpi_engine.cli.tokens",
    "ocpi_engine.cli.cdrs",
    "ocpi_engine.cli.commands",
    "ocpi_engine.cli.sync",
]
"""Modules exposing `COMMANDS` (a list of click commands/groups), one line each."""


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 110})
@settings_options
@click.version_option(package_name="ocpi-engine")
@click.pass_context
def main(ctx: click.Context, **overrides: object) -> None:
    """ocpi-engine: OCPI 2.2.1 / 2.1.1 platform for CPOs, eMSPs and hubs.

    Settings come from OCPI_ENGINE_* environment variables; the options here override them.
    """
    ctx.obj = {k: v for k, v in overrides.items() if v is not None}


for _name in COMMAND_MODULES:
    for _command in importlib.import_module(_name).COMMANDS:
        main.add_command(_command)
