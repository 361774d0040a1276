"""What long work reports as it goes, so a front end can draw a bar and stop it.

A callback may raise to stop the work: the library removes what it wrote (docs/design.md).
"""

from __future__ import annotations

from collections.abc import Callable

Progress = Callable[[int, int], None]  # (done, total): bytes or files, as the caller documents
FileProgress = Callable[[str, int, int], None]  # (file name, bytes done, bytes in all)
