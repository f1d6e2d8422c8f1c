"""Nothing govern prints can drive the terminal: control characters are shown, never sent.

Group labels, model names, file names and messages come from users. Written to a terminal as
they are, an escape sequence in one of them could retitle the window, clear the screen, move the
cursor over earlier lines or hide text; a bidirectional override could make a line read
differently from what it holds. :func:`inert_terminal` wraps standard output and standard error
for the duration of a command so that every such character is written as a visible ``\\uXXXX``
escape (valid inside JSON strings too, so ``--format json`` output stays parseable and equal).
"""

from __future__ import annotations

import contextlib
import re
import sys
from collections.abc import Iterator
from typing import Any, TextIO

# C0 controls except tab and newline, DEL, C1 controls, and the bidirectional overrides and
# isolates (the "Trojan Source" characters).
_UNSAFE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def printable(text: str) -> str:
    r"""``text`` with every character that could drive a terminal written as ``\uXXXX``.

    Examples
    --------
    >>> printable("group \x1b]0;pwned\x07 ok\n")
    'group \\u001b]0;pwned\\u0007 ok\n'
    """
    return _UNSAFE.sub(lambda match: f"\\u{ord(match.group()):04x}", text)


class InertStream:
    """A text stream that writes :func:`printable` text to the stream it wraps.

    It has no ``buffer``, so nothing (click included) can go round it to the raw bytes.
    """

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        return self._stream.write(printable(text) if isinstance(text, str) else text)

    def writelines(self, lines: list[str]) -> None:
        for line in lines:
            self.write(line)

    def __getattr__(self, name: str) -> Any:
        if name == "buffer":
            raise AttributeError(name)
        return getattr(self._stream, name)


@contextlib.contextmanager
def inert_terminal() -> Iterator[None]:
    """Wrap ``sys.stdout`` and ``sys.stderr`` in :class:`InertStream` while the block runs."""
    saved = sys.stdout, sys.stderr
    sys.stdout = InertStream(saved[0])
    sys.stderr = InertStream(saved[1])
    try:
        yield
    finally:
        sys.stdout, sys.stderr = saved
