"""The command line: a thin Typer layer over the library. Only this package imports typer and Rich."""

from .app import app, main, register

register()

__all__ = ["app", "main"]
