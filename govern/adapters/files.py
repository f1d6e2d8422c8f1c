"""Write files so that a reader never sees half of one: write a temporary sibling, then rename."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from govern.errors import BadInputError


def write_text_atomic(path: str | os.PathLike[str], text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically and return the path."""
    return write_bytes_atomic(path, text.encode("utf-8"))


def write_bytes_atomic(path: str | os.PathLike[str], data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically: the old file, or the new one, never a mix."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        # mkstemp creates the file readable by its owner only; published reports should get
        # the permissions any new file gets (0666 less the umask).
        os.chmod(tmp_name, 0o666 & ~_current_umask())
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp_name, target)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
    return target


def _current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def safe_output_path(out_dir: str | os.PathLike[str], name: str) -> Path:
    """Join ``name`` onto ``out_dir`` and refuse anything that would land outside it.

    File names can come from user input (model names, policy names); this keeps ``../`` and
    absolute paths from escaping the output folder.
    """
    base = Path(out_dir).resolve()
    candidate = (base / name).resolve()
    if candidate != base and base not in candidate.parents:
        raise BadInputError(
            f"refusing to write {name!r}: it would land outside the output folder {base}. "
            "Use a plain file name."
        )
    return candidate
