"""The tamper-evident trail: chain construction, tamper detection, concurrency, `govern verify`."""

from __future__ import annotations

import datetime as dt
import getpass
import hashlib
import itertools
import json
import multiprocessing
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from govern import __version__
from govern.adapters.trail import (
    APPEND_ON_BROKEN,
    GENESIS_HASH,
    LAST_LINE_BAD,
    MAX_PAYLOAD_BYTES,
    PAYLOAD_NOT_JSON,
    PAYLOAD_TOO_BIG,
    PROBLEM_ALTERED,
    PROBLEM_BAD_JSON,
    PROBLEM_CHAIN,
    PROBLEM_CHAIN_START,
    PROBLEM_HEAD_MISMATCH,
    PROBLEM_HEAD_MISSING,
    PROBLEM_NOT_RECORD,
    PROBLEM_REMOVED,
    PROBLEM_REORDERED,
    PROBLEM_TRUNCATED,
    TRAIL_MISSING,
    UNKNOWN_KIND,
    TrailError,
    append_record,
    head_path,
    read_trail,
    verify_trail,
)
from govern.cli.main import main
from govern.cli.verify import VERIFY_BROKEN, VERIFY_OK, VERIFY_REGISTER
from govern.services.verification import NOTE_OTHER_TRAIL
from govern.settings import load_settings

FIELDS = (
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
    "record_hash",
)


def independent_hash(record: dict[str, object]) -> str:
    """The record hash worked out from the spec, not from govern's helper."""
    body = {key: value for key, value in record.items() if key != "record_hash"}
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def write_trail(path: Path, n: int = 5) -> list[str]:
    kinds = ["register", "audit", "approval", "gate", "audit"]
    for i in range(n):
        append_record(
            kinds[i % len(kinds)],
            model="screening",
            version=str(1 + i // 2),
            data_sha256=hashlib.sha256(f"data{i}".encode()).hexdigest(),
            policy_sha256=hashlib.sha256(b"policy").hexdigest(),
            result_sha256=hashlib.sha256(f"result{i}".encode()).hexdigest(),
            payload={"status": "pass", "n_rows": 100 + i, "rules": {"ir": "pass"}},
            path=path,
            actor="officer",
        )
    return path.read_text().splitlines()


def rewrite(path: Path, lines: list[str]) -> None:
    path.write_text("".join(line + "\n" for line in lines))


@pytest.fixture
def trail(tmp_path: Path) -> Path:
    path = tmp_path / "trail.jsonl"
    write_trail(path)
    return path


# --- building the chain -----------------------------------------------------------------------


def test_records_chain_and_hash_independently(trail: Path) -> None:
    raw = [json.loads(line) for line in trail.read_text().splitlines()]
    assert [r["index"] for r in raw] == [1, 2, 3, 4, 5]
    assert raw[0]["prev_hash"] == GENESIS_HASH == "0" * 64
    for before, after in itertools.pairwise(raw):
        assert after["prev_hash"] == before["record_hash"]
    for record in raw:
        assert set(record) == set(FIELDS)
        assert record["record_hash"] == independent_hash(record)
        assert record["govern_version"] == __version__
        assert record["actor"] == "officer"
        at = dt.datetime.fromisoformat(record["at"])
        assert at.utcoffset() == dt.timedelta(0)
    head = json.loads(head_path(trail).read_text())
    assert head == {"n_records": 5, "head_hash": raw[-1]["record_hash"]}


def test_read_trail_round_trips(trail: Path) -> None:
    records = read_trail(trail)
    raw = [json.loads(line) for line in trail.read_text().splitlines()]
    assert [r.model_dump(exclude_unset=True) for r in records] == raw
    assert [r.kind for r in records] == ["register", "audit", "approval", "gate", "audit"]


def test_verify_intact(trail: Path) -> None:
    result = verify_trail(trail)
    assert result.ok
    assert result.n_records == 5
    assert result.first_bad_index is None and result.problem is None
    assert result.head_hash == json.loads(trail.read_text().splitlines()[-1])["record_hash"]


def test_empty_trail_is_valid(tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    path.write_text("")
    assert verify_trail(path).ok
    assert verify_trail(path).n_records == 0


def test_actor_explicit_then_env_then_os_user(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "t.jsonl"
    common = dict(
        model=None, version=None, data_sha256=None, policy_sha256=None, result_sha256=None
    )
    monkeypatch.setenv("GOVERN_ACTOR", "ci-bot")
    assert append_record("gate", payload={}, path=path, actor="alice", **common).actor == "alice"
    assert append_record("gate", payload={}, path=path, **common).actor == "ci-bot"
    monkeypatch.delenv("GOVERN_ACTOR")
    assert append_record("gate", payload={}, path=path, **common).actor == getpass.getuser()


def test_payload_must_be_json(tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    common = dict(
        model=None, version=None, data_sha256=None, policy_sha256=None, result_sha256=None
    )
    with pytest.raises(TrailError) as info:
        append_record("audit", payload={"x": float("nan")}, path=path, **common)
    assert str(info.value) == PAYLOAD_NOT_JSON.format(
        error="Out of range float values are not JSON compliant"
    )
    with pytest.raises(TrailError) as info:
        append_record("audit", payload={"x": {1, 2}}, path=path, **common)
    assert str(info.value) == PAYLOAD_NOT_JSON.format(
        error="Object of type set is not JSON serializable"
    )
    rows = {"rows": [{"id": i, "sex": "F", "score": 0.5} for i in range(3000)]}
    size = len(json.dumps(rows, sort_keys=True, separators=(",", ":")).encode())
    with pytest.raises(TrailError) as info:
        append_record("audit", payload=rows, path=path, **common)
    assert str(info.value) == PAYLOAD_TOO_BIG.format(size=size, limit=MAX_PAYLOAD_BYTES)
    with pytest.raises(TrailError) as info:
        append_record("deploy", payload={}, path=path, **common)
    assert str(info.value) == UNKNOWN_KIND.format(
        kind="deploy", kinds="audit, approval, gate, register"
    )
    assert not path.exists()


def test_refuses_to_append_on_a_broken_last_line(trail: Path) -> None:
    lines = trail.read_text().splitlines()
    rewrite(trail, [*lines[:-1], lines[-1][:-5]])
    with pytest.raises(TrailError) as info:
        append_record(
            "gate",
            model=None,
            version=None,
            data_sha256=None,
            policy_sha256=None,
            result_sha256=None,
            payload={},
            path=trail,
        )
    assert str(info.value) == APPEND_ON_BROKEN.format(path=trail, problem=LAST_LINE_BAD)


# --- tamper detection -------------------------------------------------------------------------


def altered_value(field: str, value: object) -> object:
    if field == "index":
        assert isinstance(value, int)
        return value + 10
    if field == "payload":
        return {"status": "fail"}
    if field == "kind":
        return "register" if value != "register" else "gate"
    if value is None:
        return "x"
    assert isinstance(value, str)
    return value[:-1] + ("0" if value[-1] != "0" else "1")


@pytest.mark.parametrize("position", [0, 2, 4], ids=["first", "middle", "last"])
@pytest.mark.parametrize("field", FIELDS)
def test_editing_any_field_of_any_record_is_named(trail: Path, field: str, position: int) -> None:
    lines = trail.read_text().splitlines()
    record = json.loads(lines[position])
    record[field] = altered_value(field, record[field])
    lines[position] = json.dumps(record, sort_keys=True, separators=(",", ":"))
    rewrite(trail, lines)
    result = verify_trail(trail)
    assert not result.ok
    assert result.first_bad_index == position + 1
    assert result.n_records == position
    assert result.problem == PROBLEM_ALTERED.format(index=position + 1, line=position + 1)


@pytest.mark.parametrize("position", [0, 2], ids=["first", "middle"])
def test_deleting_a_record_is_named(trail: Path, position: int) -> None:
    lines = trail.read_text().splitlines()
    del lines[position]
    rewrite(trail, lines)
    result = verify_trail(trail)
    assert not result.ok
    assert result.first_bad_index == position + 1
    assert result.problem == PROBLEM_REMOVED.format(
        index=position + 1, line=position + 1, found=position + 2
    )


def test_deleting_the_last_record_is_caught_by_the_head_file(trail: Path) -> None:
    lines = trail.read_text().splitlines()
    rewrite(trail, lines[:-1])
    result = verify_trail(trail)
    assert not result.ok
    assert result.first_bad_index == 5
    assert result.problem == PROBLEM_TRUNCATED.format(
        index=5, head=head_path(trail), expected=5, found=4
    )
    assert result.problem.startswith("record 5 was removed from the end")


def test_deleting_the_last_two_records(trail: Path) -> None:
    rewrite(trail, trail.read_text().splitlines()[:-2])
    result = verify_trail(trail)
    assert result.first_bad_index == 4
    assert result.problem == PROBLEM_TRUNCATED.format(
        index=4, head=head_path(trail), expected=5, found=3
    )


def test_deleting_the_head_file_too_is_reported(trail: Path) -> None:
    head_path(trail).unlink()
    result = verify_trail(trail)
    assert not result.ok
    assert result.problem == PROBLEM_HEAD_MISSING.format(head=head_path(trail))


def test_head_lagging_one_record_after_a_crash_is_accepted(trail: Path) -> None:
    # A process that died between appending its line and rewriting the head leaves the head one
    # record behind; that is not tampering.
    lines = trail.read_text().splitlines()
    fourth = json.loads(lines[3])
    head_path(trail).write_text(json.dumps({"n_records": 4, "head_hash": fourth["record_hash"]}))
    assert verify_trail(trail).ok


@pytest.mark.parametrize(("a", "b"), [(1, 2), (0, 4), (3, 4)])
def test_reordering_two_records_is_named(trail: Path, a: int, b: int) -> None:
    lines = trail.read_text().splitlines()
    lines[a], lines[b] = lines[b], lines[a]
    rewrite(trail, lines)
    result = verify_trail(trail)
    assert not result.ok
    assert result.first_bad_index == a + 1
    assert result.problem == PROBLEM_REORDERED.format(index=a + 1, found=b + 1, line=a + 1)


def test_rewritten_record_with_recomputed_hash_is_named(trail: Path) -> None:
    lines = trail.read_text().splitlines()
    record = json.loads(lines[1])
    record["payload"] = {"status": "pass", "note": "nothing to see"}
    record["record_hash"] = independent_hash(record)
    lines[1] = json.dumps(record)
    rewrite(trail, lines)
    result = verify_trail(trail)
    assert result.first_bad_index == 2
    assert result.problem == PROBLEM_CHAIN.format(index=2, line=2, next_index=3, next_line=3)


def test_rewritten_first_record_with_recomputed_hash(trail: Path) -> None:
    lines = trail.read_text().splitlines()
    record = json.loads(lines[0])
    record["prev_hash"] = "f" * 64
    record["record_hash"] = independent_hash(record)
    lines[0] = json.dumps(record)
    rewrite(trail, lines)
    result = verify_trail(trail)
    assert result.first_bad_index == 1
    assert result.problem == PROBLEM_CHAIN_START


def test_rewritten_last_record_is_caught_by_the_head_file(trail: Path) -> None:
    lines = trail.read_text().splitlines()
    record = json.loads(lines[-1])
    record["actor"] = "someone-else"
    record["record_hash"] = independent_hash(record)
    lines[-1] = json.dumps(record)
    rewrite(trail, lines)
    result = verify_trail(trail)
    assert result.first_bad_index == 5
    assert result.problem == PROBLEM_HEAD_MISMATCH.format(index=5, head=head_path(trail))


def test_bad_json_names_the_line(trail: Path) -> None:
    lines = trail.read_text().splitlines()
    lines[2] = lines[2][:40]
    rewrite(trail, lines)
    result = verify_trail(trail)
    assert result.first_bad_index == 3
    assert result.problem is not None
    assert result.problem.startswith("line 3: not valid JSON (")
    error = ""
    try:
        json.loads(lines[2])
    except ValueError as exc:
        error = str(exc)
    assert result.problem == PROBLEM_BAD_JSON.format(line=3, error=error)


def test_renamed_field_names_the_line(trail: Path) -> None:
    lines = trail.read_text().splitlines()
    lines[1] = lines[1].replace('"actor":', '"author":')
    rewrite(trail, lines)
    result = verify_trail(trail)
    assert result.problem == PROBLEM_NOT_RECORD.format(line=2, fields="actor, author")


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_any_single_character_change_is_detected(tmp_path: Path, data: st.DataObject) -> None:
    path = tmp_path / "h.jsonl"
    if not path.exists():
        write_trail(path, n=3)
    original = path.read_text()
    try:
        position = data.draw(st.integers(0, len(original) - 1))
        replacement = data.draw(st.characters(min_codepoint=32, max_codepoint=126))
        if replacement == original[position]:
            return
        path.write_text(original[:position] + replacement + original[position + 1 :])
        assert not verify_trail(path).ok
    finally:
        path.write_text(original)


def test_missing_trail(tmp_path: Path) -> None:
    path = tmp_path / "nope.jsonl"
    with pytest.raises(TrailError) as info:
        verify_trail(path)
    assert str(info.value) == TRAIL_MISSING.format(path=path)


# --- concurrency ------------------------------------------------------------------------------


def _append_many(path: str, worker: int, count: int) -> None:
    for i in range(count):
        append_record(
            "audit",
            model=f"model-{worker}",
            version=str(i),
            data_sha256=None,
            policy_sha256=None,
            result_sha256=None,
            payload={"worker": worker, "i": i},
            path=Path(path),
            actor=f"worker-{worker}",
        )


@pytest.mark.slow
def test_eight_processes_append_without_losing_or_interleaving(tmp_path: Path) -> None:
    path = tmp_path / "trail.jsonl"
    workers, per_worker = 8, 25
    context = multiprocessing.get_context("fork")
    processes = [
        context.Process(target=_append_many, args=(str(path), w, per_worker))
        for w in range(workers)
    ]
    for process in processes:
        process.start()
    for process in processes:
        process.join(timeout=120)
        assert process.exitcode == 0
    result = verify_trail(path)
    assert result.ok, result.problem
    assert result.n_records == workers * per_worker
    lines = path.read_text().splitlines()
    assert len(lines) == workers * per_worker  # every line one whole record
    seen = sorted((r.payload["worker"], r.payload["i"]) for r in read_trail(path))
    assert seen == [(w, i) for w in range(workers) for i in range(per_worker)]
    # Within each worker, its own records keep their order.
    for w in range(workers):
        mine = [r.payload["i"] for r in read_trail(path) if r.payload["worker"] == w]
        assert mine == list(range(per_worker))


# --- govern verify ----------------------------------------------------------------------------


def test_cli_verify_ok(trail: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["verify", "--trail", str(trail)]) == 0
    head = verify_trail(trail).head_hash
    note = NOTE_OTHER_TRAIL.format(
        trail=trail, configured=load_settings(create_home=False).trail_path
    )
    assert capsys.readouterr().out.splitlines() == [
        VERIFY_OK.format(n=5, path=trail, head=head),
        VERIFY_REGISTER.format(note=note),
    ]


def test_cli_verify_broken_exits_1_naming_the_record(
    trail: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lines = trail.read_text().splitlines()
    del lines[2]
    rewrite(trail, lines)
    assert main(["verify", "--trail", str(trail)]) == 1
    problem = PROBLEM_REMOVED.format(index=3, line=3, found=4)
    assert capsys.readouterr().out == VERIFY_BROKEN.format(path=trail, problem=problem) + "\n"


def test_cli_verify_json(trail: Path, capsys: pytest.CaptureFixture[str]) -> None:
    lines = trail.read_text().splitlines()
    lines[0], lines[1] = lines[1], lines[0]
    rewrite(trail, lines)
    assert main(["verify", "--trail", str(trail), "--format", "json"]) == 1
    out = json.loads(capsys.readouterr().out)
    assert out["ok"] is False
    assert out["first_bad_index"] == 1
    assert out["problem"] == PROBLEM_REORDERED.format(index=1, found=2, line=1)


def test_cli_verify_missing_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "absent.jsonl"
    assert main(["verify", "--trail", str(path)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == "govern: error: " + TRAIL_MISSING.format(path=path) + "\n"
