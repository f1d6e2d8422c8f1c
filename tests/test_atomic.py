"""Atomic writes and the output-folder guard."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from govern.adapters.files import safe_output_path, write_bytes_atomic, write_text_atomic
from govern.errors import BadInputError


def test_write_replaces_whole_file_and_leaves_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "sub" / "report.html"
    write_text_atomic(target, "first")
    write_text_atomic(target, "second")
    assert target.read_text() == "second"
    assert sorted(p.name for p in target.parent.iterdir()) == ["report.html"]


def test_written_files_get_the_usual_permissions(tmp_path: Path) -> None:
    previous = os.umask(0o022)
    try:
        path = write_text_atomic(tmp_path / "report.html", "x")
    finally:
        os.umask(previous)
    assert path.stat().st_mode & 0o777 == 0o644


def test_failed_write_keeps_the_old_file(tmp_path: Path) -> None:
    target = tmp_path / "audit.json"
    write_text_atomic(target, "old")

    # the write itself fails after the temporary file exists (a non-bytes payload)
    with pytest.raises(TypeError):
        write_bytes_atomic(target, 12345)  # type: ignore[arg-type]
    assert target.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["audit.json"]


@pytest.mark.parametrize("name", ["../escape.html", "/etc/passwd", "a/../../b.html"])
def test_names_cannot_escape_the_output_folder(tmp_path: Path, name: str) -> None:
    with pytest.raises(BadInputError) as caught:
        safe_output_path(tmp_path / "out", name)
    assert "refusing to write" in str(caught.value)
    assert "outside the output folder" in str(caught.value)


def test_plain_names_stay_inside(tmp_path: Path) -> None:
    assert safe_output_path(tmp_path, "report.html") == (tmp_path / "report.html").resolve()
