"""A progress bar on stderr for long steps (the permutation importance).

Shown only when stderr is a terminal and the user did not ask for ``--quiet``: a bar in a log
file or a CI job's output is noise, and stdout stays free for ``--format json``.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TextIO

BAR_WIDTH = 30


class ProgressBar:
    """Redraws one line ``label [#####.....] done/total unit`` on ``stream``; ends the line when
    the work is done."""

    def __init__(self, label: str, unit: str, stream: TextIO) -> None:
        self.label, self.unit, self.stream = label, unit, stream

    def __call__(self, done: int, total: int) -> None:
        filled = BAR_WIDTH * done // total if total else BAR_WIDTH
        bar = "#" * filled + "." * (BAR_WIDTH - filled)
        self.stream.write(f"\r{self.label} [{bar}] {done}/{total} {self.unit}")
        if done >= total:
            self.stream.write("\n")
        self.stream.flush()


def progress_bar(
    label: str, *, unit: str, quiet: bool, stream: TextIO | None = None
) -> Callable[[int, int], None] | None:
    """A :class:`ProgressBar` on ``stream`` (default stderr), or None when ``quiet`` or when the
    stream is not a terminal.

    Examples
    --------
    >>> import io
    >>> progress_bar("Explaining", unit="inputs", quiet=False, stream=io.StringIO()) is None
    True
    """
    target = stream if stream is not None else sys.stderr
    if quiet or not target.isatty():
        return None
    return ProgressBar(label, unit, target)
