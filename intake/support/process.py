"""Process-wide protections set once at start, by the command line and the app.

A crash must never write the process's memory (passphrase, identity, plain
file contents) to disk: core dumps are turned off (RLIMIT_CORE 0), and on
Linux the process is made non-dumpable, which also keeps other processes of
the same user from reading its memory through ptrace or /proc.
"""

from __future__ import annotations

import ctypes
import resource
import sys

_PR_SET_DUMPABLE = 4


def forbid_core_dumps() -> None:
    try:
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    except (ValueError, OSError):  # an unusual platform; the prctl below still applies on Linux
        pass
    if sys.platform.startswith("linux"):
        _set_not_dumpable()


def _set_not_dumpable() -> None:
    try:
        # The program's own symbols include libc's; ctypes.util.find_library would run ldconfig at every start.
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_DUMPABLE, 0, 0, 0, 0)
    except (OSError, AttributeError):
        pass
