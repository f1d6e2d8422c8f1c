"""Write files so that a reader never sees half of one: write a temporary sibling, then rename."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
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


MSG_OUT_IS_FILE = (
    "cannot write into {path}: it is a file, not a folder. Give --out a folder (it is created if "
    "missing)."
)
MSG_OUT_UNUSABLE = (
    "cannot write into the output folder {path} ({reason}). Give --out a folder you can write to."
)
MSG_TARGET_IS_LINK = (
    "refusing to write {path}: it is a symbolic link, which could point anywhere. Remove the "
    "link or choose another output folder."
)
MSG_TARGET_IS_FOLDER = "cannot write {path}: a folder of that name is in the way. Remove it."
MSG_FILE_UNUSABLE = "cannot write {path} ({reason}). Give a file path in a folder you can write to."


def _reason(error: OSError) -> str:
    return error.strerror or type(error).__name__


def _check_writable_folder(folder: Path, *, message: str, shown: Path) -> None:
    """Create ``folder`` if needed and prove that a file can be created in it."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(prefix=".govern-probe-", dir=folder)
        os.close(fd)
        os.unlink(probe)
    except OSError as error:
        raise BadInputError(message.format(path=shown, reason=_reason(error))) from None


def check_output_file(path: str | os.PathLike[str]) -> Path:
    """Check, before anything is recorded, that ``path`` can be written: its folder exists (or
    can be created) and is writable, and the path itself is not a folder or a symbolic link."""
    target = Path(path)
    if target.is_symlink():
        raise BadInputError(MSG_TARGET_IS_LINK.format(path=target))
    if target.is_dir():
        raise BadInputError(MSG_TARGET_IS_FOLDER.format(path=target))
    _check_writable_folder(target.parent, message=MSG_FILE_UNUSABLE, shown=target)
    return target


class OutputFolder:
    """A folder of outputs, checked before anything is recorded and filled all at once at the end.

    Construction checks the folder (created if missing, writable, not a file) and every file name
    (inside the folder, not a symbolic link or a folder). :meth:`write` stages every file in a
    temporary folder inside the output folder, then moves each into place, so readers see old
    or new files, never half of one.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     out = OutputFolder(folder, ["audit.json"])
    ...     sorted(path.name for path in out.write({"audit.json": "{}"}).values())
    ['audit.json']
    """

    def __init__(self, path: str | os.PathLike[str], names: list[str]) -> None:
        self.path = Path(path)
        if self.path.exists() and not self.path.is_dir():
            raise BadInputError(MSG_OUT_IS_FILE.format(path=self.path))
        _check_writable_folder(self.path, message=MSG_OUT_UNUSABLE, shown=self.path)
        self.names = list(names)
        self.targets = {name: self._target(name) for name in self.names}

    def _target(self, name: str) -> Path:
        target = safe_output_path(self.path, name)
        unresolved = self.path / name
        if unresolved.is_symlink():
            raise BadInputError(MSG_TARGET_IS_LINK.format(path=unresolved))
        if target.is_dir():
            raise BadInputError(MSG_TARGET_IS_FOLDER.format(path=target))
        return target

    def write(self, files: Mapping[str, str | bytes]) -> dict[str, Path]:
        """Write every file (names given at construction only) and return name -> path."""
        unknown = sorted(set(files) - set(self.targets))
        if unknown:
            raise ValueError(f"output names not declared when the folder was checked: {unknown}")
        staging = Path(tempfile.mkdtemp(prefix=".govern-staging-", dir=self.path))
        try:
            staged = {}
            for index, (name, content) in enumerate(files.items()):
                data = content.encode("utf-8") if isinstance(content, str) else content
                # Numbered: files of the same name in different subfolders must not collide.
                staged[name] = write_bytes_atomic(staging / f"{index}-{Path(name).name}", data)
            written = {}
            for name, source in staged.items():
                target = self._target(name)  # checked again: the folder may have changed
                target.parent.mkdir(parents=True, exist_ok=True)
                os.replace(source, target)
                written[name] = target
            return written
        finally:
            for leftover in staging.iterdir():
                leftover.unlink(missing_ok=True)
            staging.rmdir()
