"""Malformed input to ``govern audit oversight`` and ``govern monitor``: exit 2, one clear message
naming the column, the row or the option, no traceback, and nothing written."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from oversight_helpers import hand_log

from govern.audits.monitoring.periods import BAD_EVERY
from govern.audits.oversight.log import (
    DECIDED_BEFORE_RECOMMENDED,
    NOT_YES_NO,
    TIMES_COME_IN_PAIRS,
    UPHELD_NEEDS_APPEAL,
    UPHELD_WITHOUT_APPEAL,
)
from govern.audits.times import BAD_TIMESTAMP, NUMERIC_TIMESTAMP
from govern.cli.main import main
from govern.data import EMPTY_DATA, MISSING_VALUES, UNKNOWN_COLUMN
from govern.services.monitor import (
    MSG_MODEL_WITHOUT_VERSION,
    MSG_SAME_COLUMN,
    MSG_STAGE_NEEDS_RECOMMENDATION,
    MSG_VERSION_WITHOUT_MODEL,
)
from govern.services.oversight import MSG_WAIVERS_WITHOUT_POLICY

LOG = "log.csv"


def _write(folder: Path, frame: pd.DataFrame, name: str = LOG) -> Path:
    path = folder / name
    frame.to_csv(path, index=False)
    return path


def _oversight(path: Path, out: Path, *extra: str) -> list[str]:
    return ["audit", "oversight", "--data", str(path), "--recommendation", "model",
            "--decision", "final", "--sensitive", "group", "--min-group-size", "5",
            "--bootstrap", "0", "--out", str(out), *extra]  # fmt: skip


def _monitor(path: Path, out: Path, *extra: str) -> list[str]:
    return ["monitor", "--data", str(path), "--time", "decided_at", "--every", "month",
            "--policy", "eeoc-four-fifths", "--decision", "final", "--sensitive", "group",
            "--out", str(out), *extra]  # fmt: skip


def _changed(**columns: object) -> pd.DataFrame:
    frame = hand_log()
    for name, value in columns.items():
        frame[name] = value
    return frame


OVERSIGHT_CASES = {
    "misspelt recommendation": (
        hand_log(),
        ["--recommendation", "modle"],
        UNKNOWN_COLUMN.format(
            role="recommendation",
            column="modle",
            source=LOG,
            available="group, model, final, appealed, upheld, reviewer, recommended_at, decided_at",
            hint=" Did you mean 'model'?",
        ),
    ),
    "decision not binary": (
        _changed(final=["yes", "no", "maybe", "no"] * 10),
        [],
        NOT_YES_NO.format(
            role="decision", column="final", source=LOG, positive=1, found="'maybe', 'no', 'yes'"
        ),
    ),
    "appeal outcomes without the appeal column": (
        hand_log(),
        ["--appeal-upheld", "upheld"],
        UPHELD_NEEDS_APPEAL.format(column="upheld"),
    ),
    "appeal upheld for someone who did not appeal": (
        _changed(upheld=[1] + [None] * 39),
        ["--appeal", "appealed", "--appeal-upheld", "upheld"],
        UPHELD_WITHOUT_APPEAL.format(
            column="upheld", source=LOG, count=1, appeal="appealed", row=1
        ),
    ),
    "half a timestamp pair": (hand_log(), ["--decided-at", "decided_at"], TIMES_COME_IN_PAIRS),
    "decided before recommended": (
        _changed(decided_at="2025-03-03T08:00:00"),
        ["--recommended-at", "recommended_at", "--decided-at", "decided_at"],
        DECIDED_BEFORE_RECOMMENDED.format(
            decided="decided_at", recommended="recommended_at", source=LOG, count=40, row=1
        ),
    ),
    "unparseable timestamp": (
        _changed(decided_at=["2025-03-03T09:10:00"] * 39 + ["last Tuesday"]),
        ["--recommended-at", "recommended_at", "--decided-at", "decided_at"],
        BAD_TIMESTAMP.format(
            role="decided_at", column="decided_at", source=LOG, value="last Tuesday", row=40
        ),
    ),
    "missing values in the decisions": (
        _changed(final=[None] + [1] * 39),
        [],
        MISSING_VALUES.format(role="decision", column="final", source=LOG, count=1, row=1),
    ),
    "waivers without a policy": (
        hand_log(),
        ["--waivers", "waivers.yaml"],
        MSG_WAIVERS_WITHOUT_POLICY,
    ),
}


@pytest.mark.parametrize("case", list(OVERSIGHT_CASES))
def test_oversight_refuses_malformed_input(
    case: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    frame, extra, message = OVERSIGHT_CASES[case]
    (tmp_path / "waivers.yaml").write_text("waivers: []\n", encoding="utf-8")
    out = tmp_path / "out"
    args = _oversight(_write(tmp_path, frame), out, *extra)
    if "--recommendation" in extra:  # the case replaces the recommendation column
        index = args.index("--recommendation")
        del args[index : index + 2]
    assert main(args) == 2
    captured = capsys.readouterr()
    assert captured.err == f"govern: error: {message}\n"
    assert "Traceback" not in captured.err
    assert not out.exists() or not any(out.iterdir())


def test_oversight_refuses_an_empty_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / LOG
    path.write_text("group,model,final\n", encoding="utf-8")
    assert main(_oversight(path, tmp_path / "out")) == 2
    assert capsys.readouterr().err == f"govern: error: {EMPTY_DATA.format(source=LOG)}\n"


def _dated(frame: pd.DataFrame) -> pd.DataFrame:
    months = ["2025-01-15", "2025-02-15", "2025-03-15", "2025-04-15"] * 10
    return frame.assign(decided_at=months)


MONITOR_CASES = {
    "misspelt time column": (
        _dated(hand_log()),
        ["--time", "decidedat"],
        UNKNOWN_COLUMN.format(
            role="time",
            column="decidedat",
            source=LOG,
            available="group, model, final, appealed, upheld, reviewer, recommended_at, decided_at",
            hint=" Did you mean 'decided_at'?",
        ),
    ),
    "unparseable time": (
        _dated(hand_log()).assign(decided_at=["2025-01-15"] * 39 + ["2025-13-45"]),
        [],
        BAD_TIMESTAMP.format(
            role="time", column="decided_at", source=LOG, value="2025-13-45", row=40
        ),
    ),
    "numbers as times": (
        _dated(hand_log()).assign(decided_at=range(40)),
        [],
        NUMERIC_TIMESTAMP.format(role="time", column="decided_at", source=LOG),
    ),
    "missing time": (
        _dated(hand_log()).assign(decided_at=[None] * 2 + ["2025-01-15"] * 38),
        [],
        MISSING_VALUES.format(role="time", column="decided_at", source=LOG, count=2, row=1),
    ),
    "decisions not yes/no": (
        _dated(hand_log()).assign(final=["hired", "rejected"] * 19 + ["later", "rejected"]),
        [],
        NOT_YES_NO.format(
            role="decision",
            column="final",
            source=LOG,
            positive=1,
            found="'hired', 'later', 'rejected'",
        ),
    ),
    "bad period": (
        _dated(hand_log()),
        ["--every", "fortnightly"],
        BAD_EVERY.format(value="fortnightly"),
    ),
    "time column also sensitive": (
        _dated(hand_log()),
        ["--sensitive", "decided_at"],
        MSG_SAME_COLUMN.format(column="decided_at", role="sensitive"),
    ),
    "reviewer stage without the recommendation": (
        _dated(hand_log()),
        ["--reviewer", "reviewer"],
        MSG_STAGE_NEEDS_RECOMMENDATION,
    ),
    "version without model": (_dated(hand_log()), ["--version", "1"], MSG_VERSION_WITHOUT_MODEL),
    "model without version": (
        _dated(hand_log()),
        ["--model", "screening"],
        MSG_MODEL_WITHOUT_VERSION.format(name="screening"),
    ),
    "appeal upheld without appeal, in a reviewer stage": (
        _dated(hand_log()),
        ["--recommendation", "model", "--appeal-upheld", "upheld"],
        UPHELD_NEEDS_APPEAL.format(column="upheld"),
    ),
}


@pytest.mark.parametrize("case", list(MONITOR_CASES))
def test_monitor_refuses_malformed_input(
    case: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    frame, extra, message = MONITOR_CASES[case]
    out = tmp_path / "out"
    args = _monitor(_write(tmp_path, frame), out)
    for option in ("--time", "--every", "--sensitive"):
        if option in extra:
            index = args.index(option)
            del args[index : index + 2]
    assert main([*args, *extra]) == 2
    captured = capsys.readouterr()
    assert captured.err == f"govern: error: {message}\n"
    assert not out.exists() or not any(out.iterdir())


def test_monitor_refuses_an_output_folder_that_is_a_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    taken = tmp_path / "taken"
    taken.write_text("not a folder", encoding="utf-8")
    assert main(_monitor(_write(tmp_path, _dated(hand_log())), taken)) == 2
    assert "is a file" in capsys.readouterr().err
    assert taken.read_text(encoding="utf-8") == "not a folder"


def test_a_person_may_come_back_in_a_later_period(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The same forty people in January and in February: once per period is allowed (an
    # applicant who applies again), so the log is monitored, not refused.
    frame = pd.concat(
        [_dated(hand_log()).assign(decided_at=f"2025-0{m}-15", person=range(40)) for m in (1, 2)]
    ).reset_index(drop=True)
    out = tmp_path / "out"
    code = main([*_monitor(_write(tmp_path, frame), out), "--id", "person"])
    assert code in (0, 1), capsys.readouterr().err
    assert (out / "trend.csv").exists()


def test_one_person_per_row_is_checked_from_python() -> None:
    import doctest

    import govern.audits.people as people
    from govern.audits.people import DUPLICATE_PERSON, check_one_row_per_person
    from govern.errors import DataError

    assert doctest.testmod(people, optionflags=doctest.ELLIPSIS).failed == 0
    log = pd.DataFrame({"person": ["x" * 60, "b", "x" * 60]})
    with pytest.raises(DataError) as caught:
        check_one_row_per_person(log, column="person", source="log.csv")
    shown = "x" * 40 + "..."  # an identifier is cut to 40 characters in a message
    assert str(caught.value) == DUPLICATE_PERSON.format(
        column="person", source="log.csv", value=shown, first=1, second=3
    )
