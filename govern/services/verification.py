"""``govern verify``: the trail's own chain, checked against the copies of its head in the register.

The trail file proves that no record inside it was altered, removed or reordered; its head file
catches records cut from the end. Both are files, and whoever can rewrite one can rewrite the
other. The register keeps a third, independent copy: every register, audit, sign-off and gate
writes the index and hash of its trail record into the model version's tags. This service reads
those anchors and hands them to :func:`govern.adapters.trail.verify_trail`, which fails when one
of them points past the trail's end or at a different record.

The anchors are compared with the configured trail (``trail_path`` in ``govern.yaml``, default
``.govern/trail.jsonl``), the one the register's records go to; a trail given with ``--trail``
that is another file is checked on its own.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from govern.adapters.registry import Registry
    from govern.adapters.trail import TrailAnchor, TrailVerification

NOTE_OTHER_TRAIL = (
    "not checked: {trail} is not the configured trail ({configured}), which the register's "
    "records go to"
)
NOTE_NO_REGISTER = "not checked: there is no register yet ({uri})"
NOTE_SKIPPED = "not checked (--no-register)"
NOTE_CHECKED = "{n} anchor(s) in {uri} agree with the trail"
PROBLEM_TRAIL_GONE = (
    "the trail file {path} is missing, but the register's {source} names trail record {index}: "
    "the trail was deleted or moved."
)


def version_anchors(name: str, version: str, tags: dict[str, str]) -> list[TrailAnchor]:
    """The trail anchors in one model version's tags.

    Two shapes are read: the audit's pair of tags (``govern.audit.trail_index`` and
    ``govern.audit.trail_hash``), and any JSON tag value holding ``trail_index`` and
    ``trail_hash`` (register, sign-off and gate tags). Tags that hold neither are ignored.

    Examples
    --------
    >>> tags = {"govern.gate.last": '{"open": true, "trail_index": 7, "trail_hash": "ab"}'}
    >>> [(a.source, a.index) for a in version_anchors("cv", "3", tags)]
    [('cv version 3 tag govern.gate.last', 7)]
    """
    from govern.adapters.registry import TAG_AUDIT_TRAIL_HASH, TAG_AUDIT_TRAIL_INDEX
    from govern.adapters.trail import TrailAnchor

    anchors = []
    index, record_hash = tags.get(TAG_AUDIT_TRAIL_INDEX), tags.get(TAG_AUDIT_TRAIL_HASH)
    if index is not None and index.isdigit() and record_hash:
        source = f"{name} version {version} tag {TAG_AUDIT_TRAIL_INDEX}"
        anchors.append(TrailAnchor(source=source, index=int(index), record_hash=record_hash))
    for key, value in sorted(tags.items()):
        if not value.startswith("{"):
            continue
        try:
            data = json.loads(value)
        except ValueError:
            continue
        if not isinstance(data, dict):
            continue
        index_value, hash_value = data.get("trail_index"), data.get("trail_hash")
        if isinstance(index_value, int) and isinstance(hash_value, str):
            source = f"{name} version {version} tag {key}"
            anchors.append(TrailAnchor(source=source, index=index_value, record_hash=hash_value))
    return anchors


def register_anchors(registry: Registry) -> list[TrailAnchor]:
    """Every trail anchor held in the register's model-version tags."""
    anchors: list[TrailAnchor] = []
    for model in registry.list_models():
        for info in registry.list_versions(model.name):
            anchors.extend(version_anchors(model.name, info.version, info.tags))
    return anchors


def _register_exists(tracking_uri: str) -> bool:
    """False for a SQLite register whose file was never created (nothing to compare with)."""
    prefix = "sqlite:///"
    if tracking_uri.startswith(prefix) and ":memory:" not in tracking_uri:
        return Path(tracking_uri[len(prefix) :]).is_file()
    return True


def verify(
    trail: Path | None = None,
    *,
    check_register: bool = True,
    tracking_uri: str | None = None,
) -> TrailVerification:
    """Verify the trail's chain and head, and compare it with the register's anchors.

    Parameters
    ----------
    trail : Path, optional
        The trail file; default: the configured one.
    check_register : bool, default True
        Compare the trail with the anchors in the register (when it is the configured trail).
    tracking_uri : str, optional
        The register (default: resolved by :mod:`govern.settings`).

    Returns
    -------
    TrailVerification
        ``anchors_checked`` counts the anchors compared (None when the register was not
        read) and ``register_note`` says why.

    Examples
    --------
    >>> verify().ok  # doctest: +SKIP
    True
    """
    from govern.adapters.trail import verify_trail
    from govern.settings import load_settings

    settings = load_settings(create_home=False)
    trail_file = Path(trail) if trail is not None else settings.trail_path
    uri = tracking_uri or settings.tracking_uri
    anchors: list[TrailAnchor] | None = None
    if not check_register:
        note = NOTE_SKIPPED
    elif trail_file.resolve() != settings.trail_path.resolve():
        note = NOTE_OTHER_TRAIL.format(trail=trail_file, configured=settings.trail_path)
    elif not _register_exists(uri):
        note = NOTE_NO_REGISTER.format(uri=uri)
    else:
        from govern.adapters.registry import Registry, safe_uri

        anchors = register_anchors(Registry(uri, read_only=True))
        note = NOTE_CHECKED.format(n=len(anchors), uri=safe_uri(uri))
    if anchors and not trail_file.exists():
        from govern.adapters.trail import TrailVerification

        latest = max(anchors, key=lambda anchor: anchor.index)
        problem = PROBLEM_TRAIL_GONE.format(
            path=trail_file, source=latest.source, index=latest.index
        )
        return TrailVerification(
            ok=False, path=str(trail_file), n_records=0, first_bad_index=1, problem=problem,
            register_note=note,
        )  # fmt: skip
    result = verify_trail(trail_file, anchors=anchors)
    return result.model_copy(update={"register_note": note})
