"""A Typer command line whose commands are turned into click commands when used, not all at start.

Typer builds the click command of every command function before running one: it reads each
function's signature and annotations, a fair share of a short command's start-up (``ppf validate``
of a small file).  Here each command is a Typer app of its own, registered by name, and the top
group builds only the commands looked up: the one that runs, or all of them for the help that
lists them.  What each command parses, prints and returns is Typer's own, as before.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, MutableMapping
from typing import Any, TypeVar

import typer
from typer.core import TyperGroup

F = TypeVar("F", bound=Callable[..., Any])


class CommandTree:
    """The commands of one command line: registered like ``app.command()`` and ``app.add_typer()``.

    ``settings`` are the ``typer.Typer`` settings every command's app shares; a Typer app made
    with ``cls=tree.group_class`` is the command line (commands added to that app directly are
    kept, built as Typer builds them).  Help lists the commands, then the groups, each in the
    order registered, as Typer lists them.
    """

    def __init__(self, **settings: Any) -> None:
        self._settings = settings
        self._commands: dict[str, Callable[[], Any]] = {}
        self._groups: dict[str, Callable[[], Any]] = {}
        tree = self

        class Group(TyperGroup):
            def __init__(self, **kwargs: Any) -> None:
                super().__init__(**kwargs)
                # What Typer built: commands added to the app itself (app.command(), app.add_typer()).
                built = {name: (lambda command=command: command) for name, command in self.commands.items()}
                self.commands = _BuiltOnUse({**tree._commands, **built, **tree._groups})

            def list_commands(self, ctx: Any) -> list[str]:
                return list(self.commands)  # the names, without building the commands

        self.group_class = Group

    def command(self, name: str | None = None) -> Callable[[F], F]:
        """``@tree.command()``: as ``@app.command()``; the function is returned unchanged."""

        def register(function: F) -> F:
            app = typer.Typer(**self._settings)
            app.command(name)(function)
            self._commands[name or function.__name__.lower().replace("_", "-")] = lambda: typer.main.get_command(app)
            return function

        return register

    def group(self, name: str, **settings: Any) -> typer.Typer:
        """A group of commands, as ``app.add_typer(typer.Typer(**settings), name=name)``; add commands to it."""
        app = typer.Typer(name=name, **self._settings, **settings)
        self._groups[name] = lambda: typer.main.get_group(app)
        return app


class _BuiltOnUse(MutableMapping[str, Any]):
    """Command name -> click command, each built by its builder when first looked up."""

    def __init__(self, builders: dict[str, Callable[[], Any]]) -> None:
        self._builders = builders
        self._built: dict[str, Any] = {}

    def __getitem__(self, name: str) -> Any:
        if name not in self._built:
            self._built[name] = self._builders[name]()
        return self._built[name]

    def __setitem__(self, name: str, command: Any) -> None:
        self._builders[name] = lambda: command
        self._built[name] = command

    def __delitem__(self, name: str) -> None:
        del self._builders[name]
        self._built.pop(name, None)

    def __iter__(self) -> Iterator[str]:
        return iter(self._builders)

    def __len__(self) -> int:
        return len(self._builders)
