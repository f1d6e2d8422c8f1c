"""The tamper-evident audit trail: an append-only, hash-chained JSON-lines file.

Every audit, sign-off, gate decision and registration appends one record. Each record holds the
hash of the record before it (``prev_hash``) and its own hash (``record_hash``, sha256 over the
canonical JSON of every other field), so editing, deleting or reordering a record breaks the chain
at that record and :func:`verify_trail` names it. This is the "automatic recording of events"
the EU AI Act asks of high-risk systems (Regulation (EU) 2024/1689, Art. 12) and the audit trail
of the Canadian Directive on Automated Decision-Making (6.3.2), kept so that it cannot be changed
quietly.

A chain alone cannot show that records were cut off its END (the shortened file is still a valid
chain). So every append also rewrites a small head file beside the trail (``<trail>.head``:
record count and last hash); :func:`verify_trail` fails when the trail holds fewer records than
the head file remembers, when the head's hash is not in the trail, or when the head lags by more
than the one record a crash between the two writes can leave. Someone able to rewrite both files
can still truncate consistently, so the head is also anchored outside the file: every register,
audit, sign-off and gate writes the index and hash of its trail record into the model version's
tags in the register, and :func:`verify_trail` checks each such :class:`TrailAnchor` against the
trail (an anchor past the trail's end means records were cut). Where ``$GOVERN_TRAIL_KEY`` is
set, each record also carries an HMAC-SHA256 ``signature`` of its hash, so a chain rewritten and
recomputed without the key is caught too. ``docs/trail.md`` lists exactly what is and is not
detected.

Records hold aggregates only (verdicts, counts, hashes), never row data.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import getpass
import hashlib
import hmac
import json
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field

from govern.adapters.files import write_text_atomic
from govern.errors import BadInputError

TrailKind = Literal["audit", "approval", "gate", "register"]
TRAIL_KINDS: tuple[str, ...] = get_args(TrailKind)

# prev_hash of the first record: no record came before it.
GENESIS_HASH = "0" * 64

# Where set, every record is signed (HMAC-SHA256 of its record_hash) with this secret.
ENV_TRAIL_KEY = "GOVERN_TRAIL_KEY"

# A payload is a summary (verdicts, counts, hashes). A bigger one almost certainly holds rows.
MAX_PAYLOAD_BYTES = 64 * 1024

HASHED_FIELDS = (
    "index",
    "kind",
    "at",
    "actor",
    "govern_version",
    "model",
    "version",
    "data_sha256",
    "policy_sha256",
    "result_sha256",
    "payload",
    "prev_hash",
)

# Messages (tests assert the exact text).
TRAIL_MISSING = (
    "audit trail not found: {path}. Nothing has been recorded there yet; check --trail or "
    "`trail_path` in govern.yaml."
)
TRAIL_UNREADABLE = (
    "cannot read the audit trail {path}: {error}. Check the path and its permissions."
)
TRAIL_UNWRITABLE = (
    "cannot write to the audit trail {path}: {error}. Check --trail (or trail_path in "
    "govern.yaml) and that its folder can be written."
)
HEAD_UNREADABLE = (
    "cannot read the trail's head file {path}: {error}. It is written by govern with every "
    "record; restore it from a backup or investigate who changed it."
)
UNKNOWN_KIND = "unknown trail record kind {kind!r}: use one of {kinds}."
PAYLOAD_NOT_JSON = (
    "the trail payload cannot be written as JSON ({error}); pass only strings, numbers, "
    "booleans, None, lists and dicts with string keys (no NaN)."
)
PAYLOAD_TOO_BIG = (
    "the trail payload is {size} bytes, over the limit of {limit}: the trail keeps aggregates "
    "(verdicts, counts, hashes), never row data. Put large results in an artifact and record "
    "its sha256 instead."
)
APPEND_ON_BROKEN = (
    "refusing to append to the audit trail {path}: {problem} Run `govern verify --trail {path}` "
    "and resolve the problem first."
)
LAST_LINE_BAD = "its last line is not a valid record."

# verify_trail problems: each names the record and what is wrong.
PROBLEM_BAD_JSON = "line {line}: not valid JSON ({error}); the record was altered or cut short."
PROBLEM_NOT_RECORD = "line {line}: not a trail record (missing or unexpected fields: {fields})."
PROBLEM_ALTERED = (
    "record {index} (line {line}) was altered: its content no longer matches its record_hash."
)
PROBLEM_REMOVED = (
    "record {index} was removed: line {line} holds record {found} where record {index} belongs."
)
PROBLEM_REORDERED = (
    "record {found} (line {line}) is out of order: records were reordered; record {index} "
    "belongs at line {line}."
)
PROBLEM_CHAIN = (
    "record {index} (line {line}) was replaced: record {next_index} (line {next_line}) names a "
    "different record before it (prev_hash mismatch); the record was rewritten and its hash "
    "recomputed."
)
PROBLEM_CHAIN_START = (
    "record 1 (line 1) was replaced: its prev_hash is not the start of a chain; the record was "
    "rewritten and its hash recomputed, or records before it were removed."
)
PROBLEM_TRUNCATED = (
    "record {index} was removed from the end: the head file {head} remembers {expected} "
    "record(s), the trail holds {found}."
)
PROBLEM_HEAD_MISMATCH = (
    "record {index} (line {index}) is not the record the head file {head} remembers: the trail "
    "was rewritten from there on."
)
PROBLEM_HEAD_LAGS = (
    "the head file {head} names record {expected} but the trail holds {found}: govern rewrites "
    "the head with every record, so records {first}-{found} were added by something else or "
    "the head file was rolled back."
)
PROBLEM_UNSIGNED = (
    "record {index} (line {line}) is not signed, but {env} is set: every record govern writes "
    "with the key carries a signature; the record was written without the key or replaced."
)
PROBLEM_BAD_SIGNATURE = (
    "record {index} (line {line}) has a signature that does not match the key in {env}: the "
    "record was rewritten and its hash recomputed without the key (or the key changed)."
)
PROBLEM_ANCHOR_PAST_END = (
    "the register's {source} names trail record {index}, but the trail ends at record {found}: "
    "records were cut from the end of the trail (and its head file rewritten to match)."
)
PROBLEM_ANCHOR_MISMATCH = (
    "record {index} is not the record the register's {source} names: the trail was rewritten "
    "from there on (or that register writes to another trail; see docs/trail.md)."
)
PROBLEM_HEAD_MISSING = (
    "the head file {head} is missing: records removed from the end of the trail could not be "
    "detected. It is written by govern with every record; restore it from a backup."
)


class TrailError(BadInputError):
    """The trail file cannot be used (missing, unreadable, or broken when appending)."""


class TrailRecord(BaseModel):
    """One record of the audit trail, exactly as stored on one line of the file."""

    model_config = ConfigDict(frozen=True, extra="forbid", protected_namespaces=())

    index: int = Field(description="Position in the trail, from 1.")
    kind: TrailKind = Field(description="What happened: audit, approval, gate or register.")
    at: str = Field(description="When, UTC, ISO 8601.")
    actor: str = Field(description="Who ran it: explicit, else $GOVERN_ACTOR, else the OS user.")
    govern_version: str
    model: str | None
    version: str | None
    data_sha256: str | None
    policy_sha256: str | None
    result_sha256: str | None
    payload: dict[str, Any] = Field(description="Aggregates only, never row data.")
    prev_hash: str = Field(description="record_hash of the record before; zeros for the first.")
    record_hash: str = Field(description="sha256 of the canonical JSON of all other fields.")
    signature: str | None = Field(
        default=None,
        description="HMAC-SHA256 of record_hash with $GOVERN_TRAIL_KEY; absent without a key.",
    )


@dataclass(frozen=True)
class TrailAnchor:
    """A trail record's index and hash as held outside the trail (a model version's tags).

    ``source`` says where, for messages: ``"cv-screening version 3 tag govern.gate.last"``.
    """

    source: str
    index: int
    record_hash: str


class TrailVerification(BaseModel):
    """The outcome of :func:`verify_trail`."""

    ok: bool
    path: str
    n_records: int = Field(description="Records read before the first problem (all if ok).")
    first_bad_index: int | None = Field(
        default=None, description="Index of the first record altered, removed or reordered."
    )
    problem: str | None = Field(default=None, description="What is wrong, naming the record.")
    head_hash: str | None = Field(default=None, description="record_hash of the last record.")
    signatures_checked: bool = Field(
        default=False, description="True when $GOVERN_TRAIL_KEY was set and every record signed."
    )
    anchors_checked: int | None = Field(
        default=None, description="Register anchors compared with the trail (None: not checked)."
    )
    register_note: str | None = Field(
        default=None, description="Whether the register's anchors were compared, and why not."
    )


def canonical_json(value: object) -> str:
    """The one JSON text a value hashes as: sorted keys, no spaces, UTF-8, no NaN.

    Examples
    --------
    >>> canonical_json({"b": 1, "a": [True, None]})
    '{"a":[true,null],"b":1}'
    """
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )


def record_hash(fields: dict[str, Any]) -> str:
    """sha256 (hex) of the canonical JSON of a record's hashed fields (``record_hash`` excluded).

    Examples
    --------
    >>> len(record_hash({name: None for name in HASHED_FIELDS}))
    64
    """
    hashed = {name: fields.get(name) for name in HASHED_FIELDS}
    return hashlib.sha256(canonical_json(hashed).encode("utf-8")).hexdigest()


def _trail_key() -> bytes | None:
    key = os.environ.get(ENV_TRAIL_KEY, "")
    return key.encode("utf-8") if key else None


def sign(record_hash_hex: str, key: bytes) -> str:
    """HMAC-SHA256 (hex) of a record's hash with ``key``.

    Examples
    --------
    >>> len(sign("0" * 64, b"secret"))
    64
    """
    return hmac.new(key, record_hash_hex.encode("ascii"), hashlib.sha256).hexdigest()


def default_actor() -> str:
    """Who is running govern: ``$GOVERN_ACTOR``, else the OS user, else ``"unknown"``."""
    actor = os.environ.get("GOVERN_ACTOR", "").strip()
    if actor:
        return actor
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry in some containers
        return "unknown"


def _resolve(path: Path | str | None) -> Path:
    if path is not None:
        return Path(path)
    from govern.settings import trail_path

    return trail_path()


def head_path(path: Path) -> Path:
    """The head file beside a trail: ``trail.jsonl`` -> ``trail.jsonl.head``."""
    return path.with_name(path.name + ".head")


def _lock_path(path: Path) -> Path:
    return path.with_name(path.name + ".lock")


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    """Hold an exclusive advisory lock on ``<trail>.lock`` (every govern process takes it)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(_lock_path(path), os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as error:
        reason = error.strerror or type(error).__name__
        raise TrailError(TRAIL_UNWRITABLE.format(path=path, error=reason)) from error
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


def check_writable(path: Path | None = None) -> Path:
    """Check, before anything else is recorded, that the trail's folder and lock can be written
    (TrailError otherwise); return the trail's path."""
    trail = _resolve(path)
    with _locked(trail):
        pass
    return trail


def _last_line(path: Path) -> bytes | None:
    """The last non-empty line of a file, read backwards from its end (trails grow long)."""
    try:
        handle = path.open("rb")
    except FileNotFoundError:
        return None
    with handle:
        handle.seek(0, os.SEEK_END)
        end = handle.tell()
        buffer = b""
        position = end
        while position > 0:
            step = min(4096, position)
            position -= step
            handle.seek(position)
            buffer = handle.read(step) + buffer
            stripped = buffer.rstrip(b"\n")
            if b"\n" in stripped:
                return stripped.rsplit(b"\n", 1)[1]
        stripped = buffer.rstrip(b"\n")
        return stripped or None


def _read_head(path: Path) -> dict[str, Any] | None:
    head = head_path(path)
    try:
        data = json.loads(head.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError, RecursionError) as error:
        reason = str(error)[:80] or type(error).__name__
        raise TrailError(HEAD_UNREADABLE.format(path=head, error=reason)) from error
    if (
        not isinstance(data, dict)
        or not isinstance(data.get("n_records"), int)
        or not isinstance(data.get("head_hash"), str)
    ):
        raise TrailError(HEAD_UNREADABLE.format(path=head, error="not a govern head file"))
    return data


def append_record(
    kind: str,
    *,
    model: str | None,
    version: str | None,
    data_sha256: str | None,
    policy_sha256: str | None,
    result_sha256: str | None,
    payload: dict[str, object],
    path: Path | None = None,
    actor: str | None = None,
) -> TrailRecord:
    """Append one record to the trail and return it (safe across concurrent processes).

    Parameters
    ----------
    kind : {"audit", "approval", "gate", "register"}
        What happened.
    model, version : str or None
        The registered model version it is about.
    data_sha256, policy_sha256, result_sha256 : str or None
        Fingerprints of the data, the resolved policy and the result.
    payload : dict
        Aggregates only (verdicts, counts, hashes), at most ``MAX_PAYLOAD_BYTES`` as JSON.
    path : Path, optional
        The trail file; default ``govern.settings.trail_path()``.
    actor : str, optional
        Who ran it; default ``$GOVERN_ACTOR``, else the OS user.

    Returns
    -------
    TrailRecord

    Examples
    --------
    >>> import tempfile, pathlib
    >>> trail = pathlib.Path(tempfile.mkdtemp()) / "trail.jsonl"
    >>> rec = append_record("audit", model="screening", version="1", data_sha256=None,
    ...                     policy_sha256=None, result_sha256=None, payload={"status": "pass"},
    ...                     path=trail, actor="ethics-officer")
    >>> rec.index, verify_trail(trail).ok
    (1, True)
    """
    with prepared_record(
        kind,
        model=model,
        version=version,
        data_sha256=data_sha256,
        policy_sha256=policy_sha256,
        result_sha256=result_sha256,
        payload=payload,
        path=path,
        actor=actor,
    ) as record:
        pass
    return record


@contextlib.contextmanager
def prepared_record(
    kind: str,
    *,
    model: str | None,
    version: str | None,
    data_sha256: str | None,
    policy_sha256: str | None,
    result_sha256: str | None,
    payload: dict[str, object],
    path: Path | None = None,
    actor: str | None = None,
) -> Iterator[TrailRecord]:
    """The next record of the trail, written when the block ends without an exception.

    The trail stays locked for the block, so the record's index and hash are final while the
    block runs: a caller can store them elsewhere (the register's tags) first and still keep
    all or nothing, since a block that raises leaves the trail untouched. Keep the block short;
    other govern processes wait for it. Parameters as :func:`append_record`.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> trail = pathlib.Path(tempfile.mkdtemp()) / "trail.jsonl"
    >>> with prepared_record("gate", model="m", version="1", data_sha256=None,
    ...                      policy_sha256=None, result_sha256=None, payload={},
    ...                      path=trail) as record:
    ...     anchor = (record.index, record.record_hash)  # e.g. into a version tag
    >>> verify_trail(trail).head_hash == anchor[1]
    True
    """
    if kind not in TRAIL_KINDS:
        raise TrailError(UNKNOWN_KIND.format(kind=kind, kinds=", ".join(TRAIL_KINDS)))
    try:
        payload_json = canonical_json(payload)
    except (TypeError, ValueError) as error:
        raise TrailError(PAYLOAD_NOT_JSON.format(error=error)) from error
    size = len(payload_json.encode("utf-8"))
    if size > MAX_PAYLOAD_BYTES:
        raise TrailError(PAYLOAD_TOO_BIG.format(size=size, limit=MAX_PAYLOAD_BYTES))
    from govern import __version__

    trail = _resolve(path)
    fields: dict[str, Any] = {
        "kind": kind,
        "actor": actor or default_actor(),
        "govern_version": __version__,
        "model": model,
        "version": version,
        "data_sha256": data_sha256,
        "policy_sha256": policy_sha256,
        "result_sha256": result_sha256,
        "payload": json.loads(payload_json),
    }
    with _locked(trail):
        index, prev_hash = _next_position(trail)
        # The timestamp is taken under the lock so that trail order and time order agree.
        fields |= {
            "index": index,
            "at": dt.datetime.now(dt.UTC).isoformat(timespec="microseconds"),
            "prev_hash": prev_hash,
        }
        fields["record_hash"] = record_hash(fields)
        key = _trail_key()
        if key is not None:
            fields["signature"] = sign(fields["record_hash"], key)
        record = TrailRecord.model_validate(fields)
        yield record
        _write_line(trail, (canonical_json(fields) + "\n").encode("utf-8"))
        write_text_atomic(
            head_path(trail),
            canonical_json({"n_records": index, "head_hash": record.record_hash}) + "\n",
        )


def _next_position(trail: Path) -> tuple[int, str]:
    """Index and prev_hash of the next record (the trail is locked)."""
    last = _last_line(trail)
    if last is None:
        return 1, GENESIS_HASH
    try:
        previous = TrailRecord.model_validate_json(last)
    except ValueError as error:
        raise TrailError(APPEND_ON_BROKEN.format(path=trail, problem=LAST_LINE_BAD)) from error
    return previous.index + 1, previous.record_hash


def _write_line(trail: Path, line: bytes) -> None:
    fd = os.open(trail, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        # One write() of the whole line: a reader never sees half a record.
        written = os.write(fd, line)
        if written != len(line):
            raise TrailError(
                TRAIL_UNREADABLE.format(path=trail, error=f"short write ({written} bytes)")
            )
        os.fsync(fd)
    finally:
        os.close(fd)


def _read_lines(trail: Path) -> list[bytes]:
    try:
        data = trail.read_bytes()
    except FileNotFoundError as error:
        raise TrailError(TRAIL_MISSING.format(path=trail)) from error
    except OSError as error:
        raise TrailError(TRAIL_UNREADABLE.format(path=trail, error=error)) from error
    lines = data.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    return lines


def read_trail(path: Path | None = None) -> list[TrailRecord]:
    """Every record of the trail, in order. Raises ``TrailError`` if a line is not a record.

    Reading does not check the chain; :func:`verify_trail` does.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> trail = pathlib.Path(tempfile.mkdtemp()) / "trail.jsonl"
    >>> _ = append_record("gate", model="m", version="2", data_sha256=None, policy_sha256=None,
    ...                   result_sha256=None, payload={"open": False}, path=trail, actor="ci")
    >>> [record.kind for record in read_trail(trail)]
    ['gate']
    """
    trail = _resolve(path)
    records = []
    for number, line in enumerate(_read_lines(trail), start=1):
        try:
            records.append(TrailRecord.model_validate_json(line))
        except ValueError as error:
            raise TrailError(
                TRAIL_UNREADABLE.format(path=trail, error=f"line {number} is not a trail record")
            ) from error
    return records


def _check_line(line: bytes, number: int) -> tuple[dict[str, Any] | None, str | None]:
    """Parse one line; return the record's fields, or a problem naming the line."""
    try:
        data = json.loads(line.decode("utf-8"))
    except UnicodeDecodeError:
        return None, PROBLEM_BAD_JSON.format(line=number, error="not UTF-8 text")
    except RecursionError:
        return None, PROBLEM_BAD_JSON.format(line=number, error="nested too deeply")
    except ValueError as error:
        return None, PROBLEM_BAD_JSON.format(line=number, error=str(error)[:80])
    expected = {*HASHED_FIELDS, "record_hash"}
    if not isinstance(data, dict):
        return None, PROBLEM_NOT_RECORD.format(line=number, fields="not an object")
    if set(data) - {"signature"} != expected:
        odd = sorted((set(data) - {"signature"}) ^ expected)
        shown = ", ".join(repr(name)[1:-1][:40] for name in odd[:10])
        return None, PROBLEM_NOT_RECORD.format(line=number, fields=shown)
    try:
        TrailRecord.model_validate(data)
        record_hash(data)  # NaN or a huge number in a payload cannot be hashed
    except (ValueError, TypeError, RecursionError):
        return None, PROBLEM_NOT_RECORD.format(line=number, fields="wrong types")
    return data, None


class _Broken(Exception):
    """The first problem found while verifying: how many records were good, which one broke."""

    def __init__(self, n_good: int, index: int | None, problem: str) -> None:
        super().__init__(problem)
        self.n_good = n_good
        self.index = index
        self.problem = problem


def verify_trail(
    path: Path | None = None, *, anchors: Sequence[TrailAnchor] | None = None
) -> TrailVerification:
    """Recompute the hash chain and name the first record altered, removed or reordered.

    Parameters
    ----------
    path : Path, optional
        The trail file; default ``govern.settings.trail_path()``.
    anchors : list of TrailAnchor, optional
        Record indexes and hashes held outside the trail (the register's tags); each must name
        a record of the trail, so records cut from the end are caught even when the head file
        was rewritten to match. None: not checked.

    Returns
    -------
    TrailVerification
        ``ok`` is True when every record matches its hash, indexes run 1, 2, 3, ... and each
        record's ``prev_hash`` is the hash of the one before, the head file agrees, every
        record is signed with ``$GOVERN_TRAIL_KEY`` (where it is set) and every anchor names a
        record of the trail.

    Raises
    ------
    TrailError
        The trail file is missing or unreadable (exit code 2 at the CLI).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> trail = pathlib.Path(tempfile.mkdtemp()) / "trail.jsonl"
    >>> for kind in ("register", "audit"):
    ...     _ = append_record(kind, model="m", version="1", data_sha256=None,
    ...                       policy_sha256=None, result_sha256=None, payload={}, path=trail)
    >>> result = verify_trail(trail)
    >>> result.ok, result.n_records
    (True, 2)
    """
    trail = _resolve(path)
    lines = _read_lines(trail)
    head = _read_head(trail)
    key = _trail_key()
    try:
        records = _checked_chain(lines)
        hashes = [data["record_hash"] for data in records]
        _check_head(head, hashes, head_path(trail))
        if key is not None:
            _check_signatures(records, key)
        if anchors is not None:
            _check_anchors(anchors, hashes)
    except _Broken as broken:
        return TrailVerification(
            ok=False,
            path=str(trail),
            n_records=broken.n_good,
            first_bad_index=broken.index,
            problem=broken.problem,
        )
    return TrailVerification(
        ok=True,
        path=str(trail),
        n_records=len(hashes),
        head_hash=hashes[-1] if hashes else None,
        signatures_checked=key is not None,
        anchors_checked=None if anchors is None else len(anchors),
    )


def _checked_chain(lines: list[bytes]) -> list[dict[str, Any]]:
    """Every record's fields, in order; _Broken naming the first record out of the chain."""
    parsed = [_check_line(line, number) for number, line in enumerate(lines, start=1)]
    # Which record index sits on which line: tells a reordering from a removal.
    line_of_index = {
        data["index"]: number for number, (data, _) in enumerate(parsed, start=1) if data
    }
    prev_hash = GENESIS_HASH
    records: list[dict[str, Any]] = []
    for number, (data, problem) in enumerate(parsed, start=1):
        expected_index = number
        if data is None:
            raise _Broken(number - 1, expected_index, problem or "")
        if record_hash(data) != data["record_hash"]:
            # Named by its position: an altered record's own index cannot be trusted.
            message = PROBLEM_ALTERED.format(index=expected_index, line=number)
            raise _Broken(number - 1, expected_index, message)
        found = data["index"]
        if found != expected_index:
            later = line_of_index.get(expected_index)
            template = (
                PROBLEM_REORDERED
                if found < expected_index or (later is not None and later > number)
                else PROBLEM_REMOVED
            )
            message = template.format(index=expected_index, found=found, line=number)
            raise _Broken(number - 1, expected_index, message)
        if data["prev_hash"] != prev_hash:
            # Indexes run on and every record matches its own hash, so the record before this
            # one was rewritten with a recomputed hash.
            if number == 1:
                raise _Broken(0, 1, PROBLEM_CHAIN_START)
            message = PROBLEM_CHAIN.format(
                index=found - 1, line=number - 1, next_index=found, next_line=number
            )
            raise _Broken(number - 2, found - 1, message)
        prev_hash = data["record_hash"]
        records.append(data)
    return records


def _check_head(head: dict[str, Any] | None, hashes: list[str], head_file: Path) -> None:
    n_records = len(hashes)
    if head is None:
        if n_records:
            raise _Broken(n_records, None, PROBLEM_HEAD_MISSING.format(head=head_file))
        return
    expected = head["n_records"]
    if expected > n_records:
        message = PROBLEM_TRUNCATED.format(
            index=n_records + 1, head=head_file, expected=expected, found=n_records
        )
        raise _Broken(n_records, n_records + 1, message)
    # The head may lag the trail by one record if a process died between the two writes (the
    # next append rewrites it), never by more.
    if expected < n_records - 1:
        message = PROBLEM_HEAD_LAGS.format(
            head=head_file, expected=expected, found=n_records, first=expected + 1
        )
        raise _Broken(expected, expected + 1, message)
    if expected > 0 and hashes[expected - 1] != head["head_hash"]:
        message = PROBLEM_HEAD_MISMATCH.format(index=expected, head=head_file)
        raise _Broken(n_records, expected, message)


def _check_signatures(records: list[dict[str, Any]], key: bytes) -> None:
    for number, data in enumerate(records, start=1):
        signature = data.get("signature")
        if not isinstance(signature, str):
            message = PROBLEM_UNSIGNED.format(index=number, line=number, env=ENV_TRAIL_KEY)
            raise _Broken(number - 1, number, message)
        if not hmac.compare_digest(signature, sign(data["record_hash"], key)):
            message = PROBLEM_BAD_SIGNATURE.format(index=number, line=number, env=ENV_TRAIL_KEY)
            raise _Broken(number - 1, number, message)


def _check_anchors(anchors: Sequence[TrailAnchor], hashes: list[str]) -> None:
    n_records = len(hashes)
    # The furthest anchor first: records cut from the end are the likeliest tampering.
    for anchor in sorted(anchors, key=lambda item: -item.index):
        if anchor.index > n_records:
            message = PROBLEM_ANCHOR_PAST_END.format(
                source=anchor.source, index=anchor.index, found=n_records
            )
            raise _Broken(n_records, n_records + 1, message)
        if anchor.index < 1 or hashes[anchor.index - 1] != anchor.record_hash:
            message = PROBLEM_ANCHOR_MISMATCH.format(source=anchor.source, index=anchor.index)
            raise _Broken(max(anchor.index - 1, 0), anchor.index, message)
