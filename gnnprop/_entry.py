"""The ``gnnprop`` console script: ``--version`` answers without importing torch (about 3 s)."""

import sys


def main() -> None:
    if sys.argv[1:] == ["--version"]:
        from . import __version__

        sys.stdout.write(f"gnnprop {__version__}\n")
        return
    from .cli import main as cli_main

    cli_main()
