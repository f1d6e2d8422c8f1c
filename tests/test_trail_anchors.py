"""The trail anchored outside its file: register anchors, the head's lag, HMAC signatures."""

from __future__ import annotations

import hashlib
import hmac
import json
from pathlib import Path

import pytest

from govern.adapters.registry import (
    TAG_AUDIT_RUN_ID,
    TAG_AUDIT_TRAIL_HASH,
    TAG_AUDIT_TRAIL_INDEX,
    TAG_REGISTER_TRAIL,
    Registry,
    register_model,
)
from govern.adapters.trail import (
    ENV_TRAIL_KEY,
    PROBLEM_ANCHOR_MISMATCH,
    PROBLEM_ANCHOR_PAST_END,
    PROBLEM_BAD_SIGNATURE,
    PROBLEM_HEAD_LAGS,
    PROBLEM_UNSIGNED,
    TrailAnchor,
    append_record,
    head_path,
    prepared_record,
    read_trail,
    record_hash,
    verify_trail,
)
from govern.services.audit import run_audit
from govern.services.verification import (
    NOTE_CHECKED,
    PROBLEM_TRAIL_GONE,
    verify,
    version_anchors,
)


def _append(trail: Path, n: int) -> None:
    for i in range(n):
        append_record(
            "audit",
            model="screening",
            version="1",
            data_sha256=None,
            policy_sha256=None,
            result_sha256=None,
            payload={"i": i},
            path=trail,
            actor="tester",
        )


def _forge(trail: Path, position: int, payload: dict[str, object]) -> None:
    """Rewrite record ``position`` and recompute every hash after it, as an attacker with write
    access to the files (but not the key) would, and rewrite the head to match."""
    records = [json.loads(line) for line in trail.read_text().splitlines()]
    records[position - 1]["payload"] = payload
    previous = records[position - 2]["record_hash"] if position > 1 else "0" * 64
    for record in records[position - 1 :]:
        record["prev_hash"] = previous
        record["record_hash"] = record_hash(record)
        previous = record["record_hash"]
    trail.write_text("".join(json.dumps(r, sort_keys=True) + "\n" for r in records))
    head = {"n_records": len(records), "head_hash": previous}
    head_path(trail).write_text(json.dumps(head) + "\n")


def test_an_anchor_past_the_end_is_a_cut_trail(tmp_path: Path) -> None:
    trail = tmp_path / "trail.jsonl"
    _append(trail, 4)
    last = read_trail(trail)[-1]
    anchor = TrailAnchor(source="m version 1 tag x", index=4, record_hash=last.record_hash)
    assert verify_trail(trail, anchors=[anchor]).ok
    # cut the last record and rewrite the head consistently: the file alone looks intact
    lines = trail.read_text().splitlines(keepends=True)
    trail.write_text("".join(lines[:3]))
    third = json.loads(lines[2])
    head_path(trail).write_text(json.dumps({"n_records": 3, "head_hash": third["record_hash"]}))
    assert verify_trail(trail).ok
    result = verify_trail(trail, anchors=[anchor])
    assert not result.ok
    assert result.first_bad_index == 4
    assert result.problem == PROBLEM_ANCHOR_PAST_END.format(
        source="m version 1 tag x", index=4, found=3
    )


def test_an_anchor_naming_another_record_is_a_rewritten_trail(tmp_path: Path) -> None:
    trail = tmp_path / "trail.jsonl"
    _append(trail, 3)
    anchor = TrailAnchor(source="m version 1 tag x", index=2, record_hash="f" * 64)
    result = verify_trail(trail, anchors=[anchor])
    assert not result.ok
    assert result.problem == PROBLEM_ANCHOR_MISMATCH.format(source="m version 1 tag x", index=2)


def test_the_head_may_lag_by_one_record_only(tmp_path: Path) -> None:
    trail = tmp_path / "trail.jsonl"
    _append(trail, 4)
    records = read_trail(trail)
    head = head_path(trail)
    head.write_text(json.dumps({"n_records": 3, "head_hash": records[2].record_hash}))
    assert verify_trail(trail).ok  # a crash between the line and the head
    head.write_text(json.dumps({"n_records": 2, "head_hash": records[1].record_hash}))
    result = verify_trail(trail)
    assert not result.ok
    assert result.problem == PROBLEM_HEAD_LAGS.format(head=head, expected=2, found=4, first=3)


def test_a_failing_block_leaves_the_trail_untouched(tmp_path: Path) -> None:
    trail = tmp_path / "trail.jsonl"
    _append(trail, 1)
    before = trail.read_bytes(), head_path(trail).read_bytes()
    with (
        pytest.raises(RuntimeError),
        prepared_record(
            "gate", model="m", version="1", data_sha256=None, policy_sha256=None,
            result_sha256=None, payload={}, path=trail,
        ) as record,
    ):  # fmt: skip
        assert record.index == 2
        raise RuntimeError("the register refused the tags")
    assert (trail.read_bytes(), head_path(trail).read_bytes()) == before


def test_signed_records_catch_a_recomputed_chain(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    trail = tmp_path / "trail.jsonl"
    monkeypatch.setenv(ENV_TRAIL_KEY, "a secret the CI job holds")
    _append(trail, 3)
    first = json.loads(trail.read_text().splitlines()[0])
    expected = hmac.new(
        b"a secret the CI job holds", first["record_hash"].encode(), hashlib.sha256
    ).hexdigest()
    assert first["signature"] == expected
    signed = verify_trail(trail)
    assert signed.ok and signed.signatures_checked

    _forge(trail, 2, {"i": "forged"})
    result = verify_trail(trail)
    assert not result.ok
    assert result.problem == PROBLEM_BAD_SIGNATURE.format(index=2, line=2, env=ENV_TRAIL_KEY)
    # Without the key the same forgery cannot be told from the real chain (docs/trail.md).
    monkeypatch.delenv(ENV_TRAIL_KEY)
    assert verify_trail(trail).ok


def test_an_unsigned_record_is_refused_where_a_key_is_set(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    trail = tmp_path / "trail.jsonl"
    _append(trail, 2)  # written without a key
    monkeypatch.setenv(ENV_TRAIL_KEY, "k")
    result = verify_trail(trail)
    assert not result.ok
    assert result.problem == PROBLEM_UNSIGNED.format(index=1, line=1, env=ENV_TRAIL_KEY)


def test_anchors_are_read_from_every_kind_of_tag() -> None:
    tags = {
        TAG_AUDIT_TRAIL_INDEX: "5",
        TAG_AUDIT_TRAIL_HASH: "a" * 64,
        TAG_REGISTER_TRAIL: json.dumps({"trail_index": 1, "trail_hash": "b" * 64}),
        "govern.approval.ethics_officer": json.dumps(
            {"by": "J", "trail_index": 7, "trail_hash": "c" * 64}
        ),
        "govern.gate.last": json.dumps({"open": False, "trail_index": 9, "trail_hash": "d" * 64}),
        "govern.audit.status": "pass",
        "note": "{not json",
    }
    found = {(a.source, a.index, a.record_hash) for a in version_anchors("m", "2", tags)}
    assert found == {
        ("m version 2 tag govern.audit.trail_index", 5, "a" * 64),
        ("m version 2 tag govern.register.trail", 1, "b" * 64),
        ("m version 2 tag govern.approval.ethics_officer", 7, "c" * 64),
        ("m version 2 tag govern.gate.last", 9, "d" * 64),
    }


def test_audit_and_register_anchor_their_records_and_verify_reads_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    trail = tmp_path / ".govern" / "trail.jsonl"
    version = register_model("vendor-tool", tracking_uri=uri, trail=trail)
    data = tmp_path / "decisions.csv"
    rows = [("female", i % 2) for i in range(40)] + [("male", i % 3 == 0) for i in range(40)]
    data.write_text("sex,decision\n" + "".join(f"{s},{int(d)}\n" for s, d in rows))
    result = run_audit(
        "vendor-tool",
        version=version,
        data=data,
        policy="eeoc-four-fifths",
        y_pred="decision",
        sensitive=["sex"],
        tracking_uri=uri,
        trail=trail,
    )
    records = read_trail(trail)
    tags = Registry(uri).get_version_tags("vendor-tool", version)
    assert json.loads(tags[TAG_REGISTER_TRAIL]) == {
        "trail_index": 1,
        "trail_hash": records[0].record_hash,
    }
    assert tags[TAG_AUDIT_TRAIL_INDEX] == "2"
    assert tags[TAG_AUDIT_TRAIL_HASH] == records[1].record_hash
    assert records[1].payload["run_id"] == tags[TAG_AUDIT_RUN_ID] == result.model.run_id  # type: ignore[union-attr]

    checked = verify()
    assert checked.ok and checked.anchors_checked == 2
    assert checked.register_note == NOTE_CHECKED.format(n=2, uri=uri)
    trail.write_text(trail.read_text().splitlines(keepends=True)[0])
    head_path(trail).write_text(
        json.dumps({"n_records": 1, "head_hash": records[0].record_hash}) + "\n"
    )
    cut = verify()
    assert not cut.ok
    assert cut.problem == PROBLEM_ANCHOR_PAST_END.format(
        source=f"vendor-tool version {version} tag govern.audit.trail_index", index=2, found=1
    )


def test_a_deleted_trail_is_tampering_when_the_register_holds_anchors(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    trail = tmp_path / ".govern" / "trail.jsonl"
    version = register_model("gone-tool", tracking_uri=uri, trail=trail)
    trail.unlink()
    head_path(trail).unlink()
    result = verify()
    assert not result.ok
    assert result.problem == PROBLEM_TRAIL_GONE.format(
        path=trail, source=f"gone-tool version {version} tag govern.register.trail", index=1
    )
