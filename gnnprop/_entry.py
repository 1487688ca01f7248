"""The ``gnnprop`` console script: ``--version`` answers without importing torch (about 3 s).

Before anything else it installs the SIGTERM handler and reserves closed standard
streams, so that Ctrl-C or SIGTERM at any moment (during imports too) is one line
and exit 130 / 143, never a traceback.
"""

import errno
import os
import sys

#: Write errors on stdout that escape a command (its --help, say): one line, exit 1.
STDOUT_ERRORS = (errno.EBADF, errno.ENOSPC, errno.EDQUOT, errno.EIO, errno.EFBIG)


def main() -> None:
    from . import _signals, _stdio

    _signals.install()
    try:
        _stdio.reserve()
        if sys.argv[1:] == ["--version"]:
            from . import __version__

            sys.stdout.write(f"gnnprop {__version__}\n")
            return
        from .cli import main as cli_main

        cli_main()
    except KeyboardInterrupt as e:  # before the command's own handler is in place (imports, start-up)
        code = _signals.report(e)
        sys.exit(code)
    except OSError as e:
        if isinstance(e, BrokenPipeError) or e.errno not in STDOUT_ERRORS:
            raise
        what = "standard output is closed" if e.errno == errno.EBADF else \
            f"{os.strerror(e.errno).lower()} writing standard output"
        _stdio.silence_stdout()
        sys.stderr.write(f"gnnprop: error: {what}\n")
        sys.exit(1)
