"""The policy packs shipped with govern (``policies/packs/*.yaml``)."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel

from govern.errors import PolicyError
from govern.yaml_loader import YamlProblems, load_located_file

PACKS_DIR = Path(__file__).resolve().parent / "packs"


class PackInfo(BaseModel):
    """A shipped pack as ``govern policy list`` shows it."""

    name: str
    version: str
    title: str
    text_date: str | None
    path: Path


def pack_names() -> list[str]:
    """Names of the shipped packs, sorted (the file names without ``.yaml``)."""
    return sorted(path.stem for path in PACKS_DIR.glob("*.yaml"))


def list_packs() -> list[PackInfo]:
    """Every shipped pack with its version, title and the date of the text it encodes.

    Examples
    --------
    >>> [pack.name for pack in list_packs()][:1]
    ['eeoc-four-fifths']
    """
    packs = []
    for name in pack_names():
        path = PACKS_DIR / f"{name}.yaml"
        try:
            data = load_located_file(path, f"{name}.yaml", kind="policy").data
        except YamlProblems as problems:
            raise PolicyError("\n".join(problems.problems), problems.problems) from None
        text_date = data.get("text_date")
        packs.append(
            PackInfo(
                name=name,
                version=str(data.get("version", "")),
                title=str(data.get("title", "")),
                text_date=None if text_date is None else str(text_date),
                path=path,
            )
        )
    return packs
