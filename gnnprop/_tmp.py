"""A private temporary folder for the process, removed at exit.

PyG writes the code it generates for every ``MessagePassing`` class it sees
(``<module>_<Class>_propagate_<random>.py``, about 8 KB) to the system's
temporary folder and never removes it, so every run used to leave files in
``/tmp``. :func:`use_private_tempdir` points Python's ``tempfile`` at a folder of
this process's own (``gnnprop-XXXXXXXX`` in the system's temporary folder, mode
0700) before PyG generates anything, and removes it when the process exits
(normally, on an error, Ctrl-C or SIGTERM; a SIGKILL leaves it).
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile

_private: str | None = None


def use_private_tempdir() -> str:
    """Make (once) and use the process's private temporary folder; its path."""
    global _private
    if _private is None or not os.path.isdir(_private):
        _private = tempfile.mkdtemp(prefix="gnnprop-")
        atexit.register(shutil.rmtree, _private, ignore_errors=True)
    tempfile.tempdir = _private
    return _private
