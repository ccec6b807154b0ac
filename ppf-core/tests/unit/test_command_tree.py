"""The command line builds only the commands it uses (runner/command_tree.py)."""

from __future__ import annotations

import pytest
import typer
from typer.testing import CliRunner

from pyspark_pipeline_framework.runner.command_tree import CommandTree


class Unsupported:
    """A parameter type Typer cannot build a command for: building the command raises."""


def _tree_app() -> typer.Typer:
    tree = CommandTree(add_completion=False, pretty_exceptions_enable=False, rich_markup_mode=None)
    app = typer.Typer(name="tool", add_completion=False, pretty_exceptions_enable=False, cls=tree.group_class)

    @app.callback()
    def main() -> None:
        """A tool."""

    @tree.command()
    def greet(name: str) -> None:
        """Say hello."""
        typer.echo(f"hello {name}")

    @tree.command("break-me")
    def broken(value: Unsupported) -> None:  # Typer refuses this type when it builds the command
        """Never built unless used."""

    things = tree.group("things", help="Things.", no_args_is_help=True)

    @things.command("list")
    def things_list() -> None:
        """List things."""
        typer.echo("a thing")

    @app.command("extra")
    def extra() -> None:
        """Added to the app itself."""
        typer.echo("extra ran")

    return app


def test_only_the_command_that_runs_is_built():
    # Building every command (as Typer does) would fail on break-me; running greet does not build it.
    done = CliRunner().invoke(_tree_app(), ["greet", "ada"], prog_name="tool")
    assert done.exit_code == 0, done.output
    assert done.output == "hello ada\n"
    with pytest.raises(RuntimeError):  # what building break-me gives, when help lists every command
        CliRunner().invoke(_tree_app(), ["--help"], prog_name="tool", catch_exceptions=False)


def test_groups_and_commands_added_to_the_app_itself_still_run():
    runner = CliRunner()
    assert runner.invoke(_tree_app(), ["things", "list"], prog_name="tool").output == "a thing\n"
    assert runner.invoke(_tree_app(), ["extra"], prog_name="tool").output == "extra ran\n"


def test_a_misspelled_command_is_suggested_without_building_the_others():
    done = CliRunner().invoke(_tree_app(), ["gret", "ada"], prog_name="tool")
    assert done.exit_code == 2
    assert "No such command 'gret'. Did you mean 'greet'?" in done.output


def test_help_lists_commands_then_groups_in_the_order_registered():
    from pyspark_pipeline_framework.runner.cli import app

    done = CliRunner().invoke(app, ["--help"], prog_name="ppf")
    assert done.exit_code == 0, done.output
    listed = [line.split()[0] for line in done.output.split("Commands:\n", 1)[1].splitlines() if line.strip()]
    assert listed == ["run", "validate", "plan", "doctor", "schema", "components", "jars", "runs", "init", "secrets"]
