"""Hostile input through the CLI: each case exits 2 (or 1 for a detected tamper) with its message,
no traceback, nothing half-written, nothing recorded in MLflow or the trail.

The inputs live in ``tests/fixtures/hostile/`` (``make_fixtures.py`` says how each was made);
the few that are too big or depend on the machine (a 10 MB policy, a 100,000-column file, a
symbolic link, a tampered trail) are made by the case's ``prepare`` step. Every case runs in
one scene: a SQLite register holding a trained model and a procured tool, already registered
and audited, so the trail and the register's anchors are real.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import mlflow_helpers
import pytest

from govern.adapters.files import MSG_FILE_UNUSABLE, MSG_OUT_UNUSABLE
from govern.adapters.registry import (
    MSG_MODEL_NOT_FOUND,
    MSG_VERSION_NOT_FOUND,
    Registry,
    register_model,
)
from govern.adapters.trail import (
    APPEND_ON_BROKEN,
    HEAD_UNREADABLE,
    LAST_LINE_BAD,
    PROBLEM_BAD_JSON,
    PROBLEM_HEAD_LAGS,
    TRAIL_UNWRITABLE,
    head_path,
)
from govern.audits.monitoring.periods import BAD_EVERY
from govern.audits.oversight.log import NOT_YES_NO, UPHELD_NEEDS_APPEAL, UPHELD_WITHOUT_APPEAL
from govern.audits.people import DUPLICATE_PERSON, DUPLICATE_PERSON_IN_PERIOD
from govern.audits.times import BAD_TIMESTAMP, NUMERIC_TIMESTAMP
from govern.cli.documents import MSG_CARD_NEEDS
from govern.cli.main import main
from govern.data import (
    DUPLICATE_COLUMN,
    DUPLICATE_ROLE,
    EMPTY_DATA,
    MISSING_VALUES,
    NON_FINITE,
    NOT_SCALAR,
    TOO_MANY_GROUPS,
    UNKNOWN_COLUMN,
    UNREADABLE_FILE,
    ZERO_WEIGHTS,
)
from govern.limits import MSG_TOO_MANY_REPLICATES
from govern.metadata import MSG_BAD_LINK, MSG_META_FIELD, MSG_NOT_PLAIN_TEXT, load_metadata
from govern.model_cards.card import CARD_PROBLEM, CARD_UNKNOWN_KEY, EMPTY_CARD
from govern.policies.loader import MSG_NUL_IN_PATH, MSG_OUTSIDE
from govern.services.approvals import MSG_CONTROL_CHARACTERS, MSG_NO_COMMENT
from govern.services.audit import run_audit
from govern.services.documents import MSG_NO_AUDIT, MSG_NOT_AN_AUDIT_OF, MSG_UNKNOWN_SUFFIX
from govern.yaml_loader import (
    MSG_BAD_DATE,
    MSG_BAD_TAG,
    MSG_CONTROL_CHAR,
    MSG_DUPLICATE_KEY,
    MSG_EMPTY,
    MSG_HUGE_INT,
    MSG_MULTI_DOC,
    MSG_NOT_FINITE,
    MSG_NOT_UTF8,
    MSG_TOO_BIG,
    MSG_TOO_DEEP,
    MSG_TOO_LARGE,
)

FIXTURES = Path(__file__).parent / "fixtures" / "hostile"
# What a policy that reads a file outside its folder must never show.
SECRET = (
    "CANARY_PRIVATE_KEY: MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7\n"
    "CANARY_ROOT_LINE: root:x:0:0:root:/root:/bin/bash\n"
)
AUDIT = ["audit", "run", "screening", "--version", "1", "--data", "inputs/hiring.csv"]
AUDIT_ARGS = ["--sensitive", "sex", "--y-true", "hired", "--policy", "eeoc-four-fifths"]
FAIRNESS = ["audit", "fairness", "--y-pred", "decision", "--sensitive", "sex"]
APPROVE = ["approve", "screening", "--version", "1", "--role", "ethics_board", "--by", "A. Chair"]
COMMENT = ["--comment", "Reviewed the latest audit and the card."]
# Decision logs with a reviewer stage: person, sex, model, final, appealed, upheld, reviewer,
# decided_at (tests/fixtures/hostile/make_fixtures.py).
OVERSIGHT = ["audit", "oversight", "--recommendation", "model", "--decision", "final",
             "--sensitive", "sex", "--bootstrap", "0", "--out", "out-oversight"]  # fmt: skip
MONITOR = ["monitor", "--time", "decided_at", "--every", "month", "--policy", "eeoc-four-fifths",
           "--decision", "final", "--sensitive", "sex", "--model", "screening", "--version", "1",
           "--out", "out-monitor"]  # fmt: skip
REVIEW_COLUMNS = "person, sex, model, final, appealed, upheld, reviewer, decided_at"


def card_of(name: str) -> list[str]:
    """``govern card NAME --version 1``."""
    return ["card", name, "--version", "1"]


@dataclass
class Scene:
    work: Path
    uri: str
    trail: Path


@dataclass(frozen=True)
class Case:
    """One hostile input: the command line, the exit code and the lines the user must see."""

    id: str
    argv: list[str]
    exit: int
    messages: list[str]
    prepare: Callable[[Scene], Callable[[], None]] | None = None
    xfail: str | None = None
    never_shown: list[str] = field(default_factory=list)


# -- prepare steps: inputs made at run time, undone afterwards -------------------------------


def _nothing() -> None:
    return None


def big_policy(scene: Scene) -> Callable[[], None]:
    path = scene.work / "inputs" / "policies" / "ten_megabytes.yaml"
    path.write_text('name: big\nversion: "1"\ndescription: ' + "x" * 10_000_000 + "\n")
    return path.unlink


def symlink_to_secret(scene: Scene) -> Callable[[], None]:
    link = scene.work / "inputs" / "policies" / "link-to-secret.yaml"
    link.symlink_to(scene.work / "secret.yaml")
    return link.unlink


def wide_file(scene: Scene) -> Callable[[], None]:
    path = scene.work / "inputs" / "data" / "wide.csv"
    names = [f"column_{i:06d}" for i in range(100_000)]
    path.write_text(",".join(names) + "\n" + ",".join("1" for _ in names) + "\n")
    return path.unlink


def symlink_in_out(scene: Scene) -> Callable[[], None]:
    out = scene.work / "out-with-link"
    out.mkdir()
    (out / "audit.json").symlink_to(scene.work / "secret.yaml")
    return lambda: shutil.rmtree(out)


def _rewrite_trail(scene: Scene, keep: int, head_index: int) -> Callable[[], None]:
    """Cut the trail to ``keep`` records and write a head naming record ``head_index``."""
    trail, head = scene.trail, head_path(scene.trail)
    saved = trail.read_bytes(), head.read_bytes()
    lines = saved[0].decode("utf-8").splitlines(keepends=True)
    trail.write_text("".join(lines[:keep]), encoding="utf-8")
    named = json.loads(lines[head_index - 1])
    head.write_text(json.dumps({"n_records": head_index, "head_hash": named["record_hash"]}) + "\n")

    def restore() -> None:
        trail.write_bytes(saved[0])
        head.write_bytes(saved[1])

    return restore


def truncated_trail(scene: Scene) -> Callable[[], None]:
    n = len(scene.trail.read_text(encoding="utf-8").splitlines())
    return _rewrite_trail(scene, keep=n - 1, head_index=n - 1)


def rolled_back_head(scene: Scene) -> Callable[[], None]:
    n = len(scene.trail.read_text(encoding="utf-8").splitlines())
    return _rewrite_trail(scene, keep=n, head_index=n - 2)


def bad_settings(scene: Scene) -> Callable[[], None]:
    config = scene.work / "govern.yaml"
    config.write_text("limits:\n  max_bootstrap: " + "[" * 500 + "]" * 500 + "\n")
    return config.unlink


def trail_under_a_file(scene: Scene) -> Callable[[], None]:
    undo = read_only_file_in_the_way(scene)
    config = scene.work / "govern.yaml"
    config.write_text("trail_path: blocker/trail.jsonl\n")

    def restore() -> None:
        config.unlink()
        undo()

    return restore


def few_groups_allowed(scene: Scene) -> Callable[[], None]:
    config = scene.work / "govern.yaml"
    config.write_text("limits:\n  max_groups: 50\n")
    return config.unlink


def read_only_file_in_the_way(scene: Scene) -> Callable[[], None]:
    blocker = scene.work / "blocker"
    blocker.write_text("a file, not a folder\n")
    return blocker.unlink


# -- the corpus --------------------------------------------------------------------------------

P = "inputs/policies/"
W = "inputs/waivers/"
M = "inputs/metadata/"
C = "inputs/cards/"
D = "inputs/data/"


def deep(file: str, line: int, col: int, kind: str) -> str:
    return MSG_TOO_DEEP.format(file=file, line=line, col=col, limit=64, kind=kind)


def date(file: str, line: int, col: int, path: str, found: str, reason: str) -> str:
    return MSG_BAD_DATE.format(file=file, line=line, col=col, path=path, found=found, reason=reason)


def two_docs(file: str, line: int, kind: str) -> str:
    return MSG_MULTI_DOC.format(file=file, line=line, col=1, kind=kind)


def tag(file: str, line: int, col: int, path: str, name: str, kind: str) -> str:
    return MSG_BAD_TAG.format(file=file, line=line, col=col, path=path, tag=name, kind=kind)


def meta_field(file: str, line: int, column: int, key: str, problem: str) -> str:
    return MSG_META_FIELD.format(path=file, line=line, column=column, key=key, problem=problem)


def card(file: str, line: int, column: int, key: str, message: str) -> str:
    return CARD_PROBLEM.format(path=file, line=line, column=column, key=key, message=message)


FEB_30 = "day is out of range for month"
OUTSIDE_ROOTS = "{work}/inputs/policies, {packs}"

CASES = [
    # policies: through `policy validate` and through `audit run`, which must record nothing
    Case(
        "policy-deep-nesting",
        ["policy", "validate", P + "deep_nesting.yaml"],
        2,
        [deep(P + "deep_nesting.yaml", 3, 77, "policy")],
    ),
    Case(
        "policy-date-feb-30",
        [*AUDIT, *AUDIT_ARGS[:4], "--policy", P + "date_feb_30.yaml"],
        2,
        [
            date(
                P + "date_feb_30.yaml",
                4,
                12,
                "text_date",
                "'2027-02-30'",
                FEB_30,
            )
        ],
    ),
    Case(
        "policy-month-13",
        ["policy", "validate", P + "month_13.yaml"],
        2,
        [
            date(
                P + "month_13.yaml",
                5,
                14,
                "applies_to.from_date",
                "'2027-13-01'",
                "month must be in 1..12",
            )
        ],
    ),
    Case(
        "policy-hour-25",
        ["policy", "validate", P + "hour_25.yaml"],
        2,
        [
            date(
                P + "hour_25.yaml",
                4,
                12,
                "text_date",
                "'2027-01-31T25:00:00'",
                "hour must be in 0..23",
            )
        ],
    ),
    Case(
        "policy-second-document",
        [*AUDIT, *AUDIT_ARGS[:4], "--policy", P + "two_documents.yaml"],
        2,
        [two_docs(P + "two_documents.yaml", 4, "policy")],
    ),
    Case(
        "policy-huge-integer",
        ["policy", "validate", P + "huge_integer.yaml"],
        2,
        [
            MSG_HUGE_INT.format(
                file=P + "huge_integer.yaml",
                line=5,
                col=19,
                path="settings.min_group_size",
                digits=5000,
            )
        ],
    ),
    Case(
        "policy-nul-byte",
        ["policy", "validate", P + "nul_byte.yaml"],
        2,
        [MSG_CONTROL_CHAR.format(file=P + "nul_byte.yaml", line=3, col=15, code=0, kind="policy")],
    ),
    Case(
        "policy-not-utf8",
        ["policy", "validate", P + "not_utf8.yaml"],
        2,
        [MSG_NOT_UTF8.format(file=P + "not_utf8.yaml", line=3, col=17, byte=0xE9, kind="policy")],
    ),
    Case(
        "policy-python-tag",
        [*AUDIT, *AUDIT_ARGS[:4], "--policy", P + "python_tag.yaml"],
        2,
        [
            tag(
                P + "python_tag.yaml",
                3,
                14,
                "description",
                "!!python/object/apply:os.system",
                "policy",
            )
        ],
    ),
    Case(
        "policy-extends-etc-passwd",
        ["policy", "validate", P + "extends_etc_passwd.yaml"],
        2,
        [
            P
            + "extends_etc_passwd.yaml:3:11: extends[0]: "
            + MSG_OUTSIDE.format(path="'/etc/passwd'", roots=OUTSIDE_ROOTS)
        ],
        never_shown=["root:", "/bin/"],
    ),
    Case(
        "policy-extends-outside-folder",
        [*AUDIT, *AUDIT_ARGS[:4], "--policy", P + "extends_outside.yaml"],
        2,
        [
            P
            + "extends_outside.yaml:3:11: extends[0]: "
            + MSG_OUTSIDE.format(path="'../../secret.yaml'", roots=OUTSIDE_ROOTS)
        ],
        never_shown=["CANARY"],
    ),
    Case(
        "policy-extends-symlink-out",
        ["policy", "show", P + "extends_symlink.yaml"],
        2,
        [
            P
            + "extends_symlink.yaml:3:11: extends[0]: "
            + MSG_OUTSIDE.format(path="'link-to-secret.yaml'", roots=OUTSIDE_ROOTS)
        ],
        prepare=symlink_to_secret,
        never_shown=["CANARY"],
    ),
    Case(
        "policy-extends-file-with-nul",
        ["policy", "validate", P + "extends_nul_file.yaml"],
        2,
        [MSG_CONTROL_CHAR.format(file=P + "nul_byte.yaml", line=3, col=15, code=0, kind="policy")],
    ),
    Case(
        "policy-extends-nul-in-path",
        ["policy", "validate", P + "extends_nul_path.yaml"],
        2,
        [P + "extends_nul_path.yaml:3:11: extends[0]: " + MSG_NUL_IN_PATH],
    ),
    Case(
        "policy-too-many-replicates",
        ["policy", "validate", P + "n_boot_huge.yaml"],
        2,
        [
            P + "n_boot_huge.yaml:5:11: settings.n_boot: 100000000 bootstrap replicates is over "
            "the limit of 10000"
        ],
    ),
    Case(
        "policy-nan-threshold",
        ["policy", "validate", P + "nan_threshold.yaml"],
        2,
        [
            MSG_NOT_FINITE.format(
                file=P + "nan_threshold.yaml",
                line=12,
                col=18,
                path="rules[0].check.threshold",
                found="'.nan'",
            )
        ],
    ),
    Case(
        "policy-infinite-threshold",
        ["policy", "validate", P + "inf_threshold.yaml"],
        2,
        [
            P + "inf_threshold.yaml:12:18: "
            "rules[0].check.threshold: found 'inf'; expected a finite number"
        ],
    ),
    Case(
        "policy-ten-megabytes",
        ["policy", "validate", P + "ten_megabytes.yaml"],
        2,
        [MSG_TOO_BIG.format(file=P + "ten_megabytes.yaml", limit=1_048_576, kind="policy")],
        prepare=big_policy,
    ),
    Case(
        "policy-alias-bomb",
        [*AUDIT, *AUDIT_ARGS[:4], "--policy", P + "alias_bomb.yaml"],
        2,
        [MSG_TOO_LARGE.format(file=P + "alias_bomb.yaml", limit=200_000, kind="policy")],
    ),
    Case(
        "policy-escape-sequence",
        ["policy", "validate", P + "control_char.yaml"],
        2,
        [
            MSG_CONTROL_CHAR.format(
                file=P + "control_char.yaml", line=3, col=20, code=0x1B, kind="policy"
            )
        ],
    ),
    # waivers
    Case(
        "waivers-impossible-date",
        [*AUDIT, *AUDIT_ARGS, "--waivers", W + "bad_date.yaml"],
        2,
        [
            date(
                W + "bad_date.yaml",
                6,
                14,
                "waivers[0].expires",
                "'2027-02-30'",
                FEB_30,
            )
        ],
    ),
    Case(
        "waivers-deep-nesting",
        [*AUDIT, *AUDIT_ARGS, "--waivers", W + "deep.yaml"],
        2,
        [deep(W + "deep.yaml", 1, 73, "waivers")],
    ),
    Case(
        "waivers-second-document",
        [*AUDIT, *AUDIT_ARGS, "--waivers", W + "two_documents.yaml"],
        2,
        [two_docs(W + "two_documents.yaml", 7, "waivers")],
    ),
    Case(
        "waivers-python-tag",
        [*AUDIT, *AUDIT_ARGS, "--waivers", W + "python_tag.yaml"],
        2,
        [tag(W + "python_tag.yaml", 1, 10, "waivers", "!!python/object/new:os.system", "waivers")],
    ),
    # governance metadata: `register` must register nothing
    Case(
        "metadata-javascript-appeal-route",
        ["register", "hostile-tool", "--meta", M + "javascript_appeal.yaml"],
        2,
        [
            meta_field(
                M + "javascript_appeal.yaml",
                6,
                15,
                "appeal_route",
                MSG_BAD_LINK.format(scheme="javascript"),
            )
        ],
    ),
    Case(
        "metadata-script-in-owner",
        ["register", "hostile-tool", "--meta", M + "script_owner.yaml"],
        2,
        [
            meta_field(
                M + "script_owner.yaml",
                4,
                8,
                "owner",
                MSG_NOT_PLAIN_TEXT.format(what="HTML markup"),
            )
        ],
    ),
    Case(
        "metadata-impossible-date",
        ["register", "hostile-tool", "--meta", M + "bad_date.yaml"],
        2,
        [date(M + "bad_date.yaml", 7, 9, "vendor", "'2027-02-30'", FEB_30)],
    ),
    Case(
        "metadata-deep-nesting",
        ["register", "hostile-tool", "--meta", M + "deep.yaml"],
        2,
        [deep(M + "deep.yaml", 7, 78, "metadata")],
    ),
    Case(
        "metadata-second-document",
        ["register", "hostile-tool", "--meta", M + "two_documents.yaml"],
        2,
        [two_docs(M + "two_documents.yaml", 7, "metadata")],
    ),
    Case(
        "metadata-huge-integer",
        ["register", "hostile-tool", "--meta", M + "huge_integer.yaml"],
        2,
        [
            MSG_HUGE_INT.format(
                file=M + "huge_integer.yaml", line=7, col=9, path="vendor", digits=5000
            )
        ],
    ),
    Case(
        "register-trail-under-a-file",
        ["register", "hostile-tool", "--meta", M + "good.yaml"],
        2,
        [TRAIL_UNWRITABLE.format(path="{work}/blocker/trail.jsonl", error="File exists")],
        prepare=trail_under_a_file,
    ),
    # model cards: `register --card` validates as an audit would, and registers nothing
    Case(
        "card-alias-bomb",
        ["register", "hostile-tool", "--card", C + "alias_bomb.yaml"],
        2,
        [MSG_TOO_LARGE.format(file=C + "alias_bomb.yaml", limit=200_000, kind="model card")],
    ),
    Case(
        "card-deep-nesting",
        ["register", "hostile-tool", "--card", C + "deep.yaml"],
        2,
        [deep(C + "deep.yaml", 3, 88, "model card")],
    ),
    Case(
        "card-python-tag",
        ["register", "hostile-tool", "--card", C + "python_tag.yaml"],
        2,
        [
            tag(
                C + "python_tag.yaml",
                3,
                26,
                "caveats_recommendations",
                "!!python/name:os.system",
                "model card",
            )
        ],
    ),
    Case(
        "card-impossible-date",
        ["register", "hostile-tool", "--card", C + "bad_date.yaml"],
        2,
        [
            date(
                C + "bad_date.yaml",
                3,
                9,
                "model_details.date",
                "'2027-02-30'",
                FEB_30,
            )
        ],
    ),
    Case(
        "card-second-document",
        ["register", "hostile-tool", "--card", C + "two_documents.yaml"],
        2,
        [two_docs(C + "two_documents.yaml", 3, "model card")],
    ),
    Case(
        "card-unknown-section",
        ["register", "hostile-tool", "--card", C + "unknown_section.yaml"],
        2,
        [card(C + "unknown_section.yaml", 3, 1, "ethics", CARD_UNKNOWN_KEY)],
    ),
    # documents: `card`, `report` and `register-page` refuse before writing anything
    Case(
        "doc-card-unknown-model",
        [*card_of("no-such-model"), "--out", "docs/card.html"],
        2,
        [MSG_MODEL_NOT_FOUND.format(name="no-such-model", uri="{uri}")],
    ),
    Case(
        "doc-card-unknown-version",
        ["card", "screening", "--version", "9", "--out", "docs/card.html"],
        2,
        [MSG_VERSION_NOT_FOUND.format(name="screening", version="9", uri="{uri}")],
    ),
    Case(
        "doc-card-without-version",
        ["card", "screening", "--out", "docs/card.html"],
        2,
        [MSG_CARD_NEEDS],
    ),
    Case(
        "doc-card-duplicate-key",
        [*card_of("screening"), "--card", C + "duplicate_key.yaml", "--out", "docs/card.html"],
        2,
        [
            MSG_DUPLICATE_KEY.format(
                file=C + "duplicate_key.yaml",
                line=4,
                col=3,
                path="model_details.owner",
                key="owner",
                first=3,
            )
        ],
    ),
    Case(
        "doc-card-empty-file",
        [*card_of("screening"), "--card", C + "empty.yaml", "--out", "docs/card.md"],
        2,
        [MSG_EMPTY.format(file=C + "empty.yaml", expected=EMPTY_CARD)],
    ),
    Case(
        "doc-card-python-tag",
        [*card_of("screening"), "--card", C + "python_tag.yaml", "--out", "docs/card.html"],
        2,
        [
            tag(
                C + "python_tag.yaml",
                3,
                26,
                "caveats_recommendations",
                "!!python/name:os.system",
                "model card",
            )
        ],
    ),
    Case(
        "doc-card-misspelt-section",
        [*card_of("screening"), "--card", C + "unknown_section.yaml", "--out", "docs/card.md"],
        2,
        [card(C + "unknown_section.yaml", 3, 1, "ethics", CARD_UNKNOWN_KEY)],
    ),
    Case(
        "doc-card-pdf",
        [*card_of("screening"), "--out", "docs/card.pdf"],
        2,
        [MSG_UNKNOWN_SUFFIX.format(path="docs/card.pdf")],
    ),
    Case(
        "doc-report-never-audited",
        ["report", "vendor-tool", "--version", "1", "--out", "docs/report.html"],
        2,
        [MSG_NO_AUDIT.format(name="vendor-tool", version="1")],
    ),
    Case(
        "doc-report-run-of-another-model",
        ["report", "vendor-tool", "--version", "1", "--run", "{audit_run}", "--out", "r.md"],
        2,
        [
            MSG_NOT_AN_AUDIT_OF.format(
                run_id="{audit_run}",
                name="vendor-tool",
                version="1",
                found="audit of screening version 1",
            )
        ],
    ),
    Case(
        "doc-report-out-under-a-file",
        ["report", "screening", "--version", "1", "--out", "blocker/report.html"],
        2,
        [MSG_FILE_UNUSABLE.format(path="blocker/report.html", reason="File exists")],
        prepare=read_only_file_in_the_way,
    ),
    Case(
        "doc-register-page-text-file",
        ["register-page", "--out", "public/register.txt"],
        2,
        [MSG_UNKNOWN_SUFFIX.format(path="public/register.txt")],
    ),
    Case(
        "doc-register-page-out-is-a-folder",
        ["register-page", "--out", "inputs"],
        2,
        ["Invalid value for '--out': File 'inputs' is a directory."],
    ),
    # decision files
    Case(
        "data-parquet-list-column",
        [*FAIRNESS, "--data", D + "list_column.parquet"],
        2,
        [NOT_SCALAR.format(column="sex", source="list_column.parquet")],
    ),
    Case(
        "data-infinite-score",
        [*FAIRNESS, "--data", D + "inf_score.csv", "--score", "score"],
        2,
        [NON_FINITE.format(role="score", column="score", source="inf_score.csv", count=1, row=2)],
    ),
    Case(
        "data-all-zero-weights",
        [*FAIRNESS, "--data", D + "zero_weights.csv", "--sample-weight", "weight"],
        2,
        [ZERO_WEIGHTS.format(column="weight", source="zero_weights.csv")],
    ),
    Case(
        "data-infinite-weights",
        [*FAIRNESS, "--data", D + "inf_weights.csv", "--sample-weight", "weight"],
        2,
        [
            NON_FINITE.format(
                role="sample_weight", column="weight", source="inf_weights.csv", count=1, row=2
            )
        ],
    ),
    Case(
        "data-duplicate-column-names",
        [*AUDIT[:5], "--data", D + "duplicate_columns.csv", *AUDIT_ARGS],
        2,
        [DUPLICATE_COLUMN.format(column="sex", source="duplicate_columns.csv", count=2)],
    ),
    Case(
        "data-missing-column-in-100000",
        [
            *FAIRNESS[:2],
            "--y-pred",
            "nope",
            "--sensitive",
            "column_000001",
            "--data",
            D + "wide.csv",
        ],
        2,
        [
            UNKNOWN_COLUMN.format(
                role="y_pred",
                column="nope",
                source="wide.csv",
                available=", ".join(f"column_{i:06d}" for i in range(25)) + " and 99975 more",
                hint="",
            )
        ],
        prepare=wide_file,
    ),
    Case(
        "data-not-utf8",
        [*FAIRNESS, "--data", D + "not_utf8.csv"],
        2,
        [
            UNREADABLE_FILE.format(
                path=D + "not_utf8.csv",
                reason="'utf-8' codec can't decode byte 0xe9 in position 14: invalid "
                "continuation byte",
                kind="CSV",
            )
        ],
    ),
    Case(
        "data-empty-file",
        [*FAIRNESS, "--data", D + "empty.csv"],
        2,
        [EMPTY_DATA.format(source="empty.csv")],
    ),
    Case(
        "data-header-only",
        [*FAIRNESS, "--data", D + "header_only.csv"],
        2,
        [EMPTY_DATA.format(source="header_only.csv")],
    ),
    Case(
        "data-misspelt-sensitive-no-internal-column",
        [*AUDIT, "--sensitive", "sexx", "--policy", "eeoc-four-fifths"],
        2,
        [
            UNKNOWN_COLUMN.format(
                role="sensitive",
                column="sexx",
                source="hiring.csv",
                available="experience, test_score, sex_signal, sex, hired, decision, weight, score",
                hint=" Did you mean 'sex'?",
            )
        ],
        never_shown=["__govern_decision__"],
    ),
    Case(
        "data-too-many-groups",
        [*FAIRNESS[:4], "--sensitive", "test_score", "--data", "inputs/hiring.csv"],
        2,
        [TOO_MANY_GROUPS.format(column="test_score", source="hiring.csv", limit=50)],
        prepare=few_groups_allowed,
    ),
    # decision logs with a reviewer stage: govern audit oversight
    Case(
        "oversight-misspelt-recommendation",
        [
            *OVERSIGHT[:2],
            "--data",
            D + "review_log.csv",
            "--recommendation",
            "modle",
            *OVERSIGHT[4:],
        ],
        2,
        [
            UNKNOWN_COLUMN.format(
                role="recommendation",
                column="modle",
                source="review_log.csv",
                available=REVIEW_COLUMNS,
                hint=" Did you mean 'model'?",
            )
        ],
    ),
    Case(
        "oversight-missing-reviewer-column",
        [*OVERSIGHT, "--data", D + "review_log.csv", "--reviewer", "team"],
        2,
        [
            UNKNOWN_COLUMN.format(
                role="reviewer",
                column="team",
                source="review_log.csv",
                available=REVIEW_COLUMNS,
                hint="",
            )
        ],
    ),
    Case(
        "oversight-decisions-in-words",
        [*OVERSIGHT, "--data", D + "review_words_for_decisions.csv"],
        2,
        [
            NOT_YES_NO.format(
                role="decision",
                column="final",
                source="review_words_for_decisions.csv",
                positive=1,
                found="'hired', 'later', 'rejected'",
            )
        ],
    ),
    Case(
        "oversight-empty-file",
        [*OVERSIGHT, "--data", D + "empty.csv"],
        2,
        [EMPTY_DATA.format(source="empty.csv")],
    ),
    Case(
        "oversight-header-only",
        [*OVERSIGHT, "--data", D + "review_header_only.csv"],
        2,
        [EMPTY_DATA.format(source="review_header_only.csv")],
    ),
    Case(
        "oversight-one-person-on-two-rows",
        [*OVERSIGHT, "--data", D + "review_person_twice.csv", "--id", "person"],
        2,
        [
            DUPLICATE_PERSON.format(
                column="person", source="review_person_twice.csv", value="p3", first=3, second=7
            )
        ],
    ),
    Case(
        "oversight-person-without-id",
        [*OVERSIGHT, "--data", D + "review_person_missing.csv", "--id", "person"],
        2,
        [
            MISSING_VALUES.format(
                role="id", column="person", source="review_person_missing.csv", count=1, row=5
            )
        ],
    ),
    Case(
        "oversight-id-is-the-sensitive-column",
        [*OVERSIGHT, "--data", D + "review_log.csv", "--id", "sex"],
        2,
        [DUPLICATE_ROLE.format(column="sex", first="sensitive", second="id")],
    ),
    Case(
        "oversight-upheld-without-appeal",
        [
            *OVERSIGHT,
            "--data",
            D + "review_upheld_without_appeal.csv",
            "--appeal",
            "appealed",
            "--appeal-upheld",
            "upheld",
        ],
        2,
        [
            UPHELD_WITHOUT_APPEAL.format(
                column="upheld",
                source="review_upheld_without_appeal.csv",
                count=1,
                appeal="appealed",
                row=4,
            )
        ],
    ),
    Case(
        "oversight-duplicate-column-names",
        [*OVERSIGHT, "--data", D + "review_duplicate_columns.csv"],
        2,
        [DUPLICATE_COLUMN.format(column="final", source="review_duplicate_columns.csv", count=2)],
    ),
    # the same logs over time: govern monitor, recording every window against screening v1
    Case(
        "monitor-misspelt-time-column",
        [*MONITOR[:1], "--time", "decidedat", *MONITOR[3:], "--data", D + "review_log.csv"],
        2,
        [
            UNKNOWN_COLUMN.format(
                role="time",
                column="decidedat",
                source="review_log.csv",
                available=REVIEW_COLUMNS,
                hint=" Did you mean 'decided_at'?",
            )
        ],
    ),
    Case(
        "monitor-time-not-a-time",
        [*MONITOR, "--data", D + "review_times_not_times.csv"],
        2,
        [
            BAD_TIMESTAMP.format(
                role="time",
                column="decided_at",
                source="review_times_not_times.csv",
                value="2025-02-30T09:00:00",
                row=6,
            )
        ],
    ),
    Case(
        "monitor-numbers-as-times",
        [*MONITOR, "--data", D + "review_times_as_numbers.csv"],
        2,
        [
            NUMERIC_TIMESTAMP.format(
                role="time", column="decided_at", source="review_times_as_numbers.csv"
            )
        ],
    ),
    Case(
        "monitor-empty-file",
        [*MONITOR, "--data", D + "empty.csv"],
        2,
        [EMPTY_DATA.format(source="empty.csv")],
    ),
    Case(
        "monitor-header-only",
        [*MONITOR, "--data", D + "review_header_only.csv"],
        2,
        [EMPTY_DATA.format(source="review_header_only.csv")],
    ),
    Case(
        "monitor-one-person-twice-in-a-month",
        [*MONITOR, "--data", D + "review_twice_in_a_month.csv", "--id", "person"],
        2,
        [
            DUPLICATE_PERSON_IN_PERIOD.format(
                column="person",
                source="review_twice_in_a_month.csv",
                value="p4",
                first=4,
                second=8,
                period="2025-02",
            )
        ],
    ),
    Case(
        "monitor-decisions-in-words",
        [*MONITOR, "--data", D + "review_words_for_decisions.csv"],
        2,
        [
            NOT_YES_NO.format(
                role="decision",
                column="final",
                source="review_words_for_decisions.csv",
                positive=1,
                found="'hired', 'later', 'rejected'",
            )
        ],
    ),
    Case(
        "monitor-unknown-period",
        [*MONITOR[:3], "--every", "fortnight", *MONITOR[5:], "--data", D + "review_log.csv"],
        2,
        [BAD_EVERY.format(value="fortnight")],
    ),
    Case(
        "monitor-appeal-outcomes-without-appeals",
        [
            *MONITOR,
            "--data",
            D + "review_log.csv",
            "--recommendation",
            "model",
            "--appeal-upheld",
            "upheld",
        ],
        2,
        [UPHELD_NEEDS_APPEAL.format(column="upheld")],
    ),
    # options
    Case(
        "option-rows-too-many",
        ["datasets", "generate", "recruitment", "--rows", "1000000000000", "--out", "x.csv"],
        2,
        ["Invalid value for '--rows': 1000000000000 is not in the range 1<=x<=10000000."],
    ),
    Case(
        "option-negative-seed",
        [*AUDIT, *AUDIT_ARGS, "--seed", "-1"],
        2,
        ["Invalid value for '--seed': -1 is not in the range x>=0."],
    ),
    Case(
        "option-bootstrap-too-many",
        [*FAIRNESS, "--data", "inputs/hiring.csv", "--bootstrap", "100000000"],
        2,
        [MSG_TOO_MANY_REPLICATES.format(where="--bootstrap: ", n_boot=100000000, limit=10000)],
    ),
    Case(
        "option-out-in-proc",
        [*AUDIT, *AUDIT_ARGS, "--out", "/proc/x"],
        2,
        [MSG_OUT_UNUSABLE.format(path="/proc/x", reason="No such file or directory")],
    ),
    Case(
        "option-out-under-a-file",
        [*AUDIT, *AUDIT_ARGS, "--out", "blocker/sub"],
        2,
        [MSG_OUT_UNUSABLE.format(path="blocker/sub", reason="Not a directory")],
        prepare=read_only_file_in_the_way,
    ),
    Case(
        "option-out-is-a-file",
        [*AUDIT, *AUDIT_ARGS, "--out", "blocker"],
        2,
        ["Invalid value for '--out': Directory 'blocker' is a file."],
        prepare=read_only_file_in_the_way,
    ),
    Case(
        "option-out-holds-a-symlink",
        [*AUDIT, *AUDIT_ARGS, "--out", "out-with-link"],
        2,
        ["refusing to write 'audit.json': it would land outside the output folder"],
        prepare=symlink_in_out,
        never_shown=["CANARY"],
    ),
    Case(
        "gate-junit-under-a-file",
        [
            "gate",
            "screening",
            "--version",
            "1",
            "--policy",
            "public-sector-baseline",
            "--junit",
            "blocker/gate.xml",
        ],
        2,
        ["blocker/gate.xml"],
        prepare=read_only_file_in_the_way,
    ),
    Case(
        "gate-summary-is-a-folder",
        [
            "gate",
            "screening",
            "--version",
            "1",
            "--policy",
            "public-sector-baseline",
            "--summary",
            "inputs",
        ],
        2,
        ["Invalid value for '--summary': File 'inputs' is a directory."],
    ),
    Case(
        "gate-summary-under-a-file",
        [
            "gate",
            "screening",
            "--version",
            "1",
            "--policy",
            "public-sector-baseline",
            "--summary",
            "blocker/summary.md",
        ],
        2,
        ["blocker/summary.md"],
        prepare=read_only_file_in_the_way,
    ),
    Case(
        "approve-trail-under-a-file",
        [*APPROVE, *COMMENT, "--trail", "blocker/trail.jsonl"],
        2,
        [TRAIL_UNWRITABLE.format(path="blocker/trail.jsonl", error="File exists")],
        prepare=read_only_file_in_the_way,
    ),
    Case(
        "approve-empty-comment",
        [*APPROVE, "--comment", "  "],
        2,
        [MSG_NO_COMMENT],
    ),
    Case(
        "approve-escape-sequence-in-comment",
        [*APPROVE, "--comment", "Reviewed.\x1b[2J\x1b[Happroved by the board"],
        2,
        [MSG_CONTROL_CHARACTERS.format(option="--comment", char="\x1b")],
    ),
    Case(
        "approve-unknown-version",
        [
            "approve",
            "screening",
            "--version",
            "99",
            "--role",
            "ethics_officer",
            "--by",
            "A",
            *COMMENT,
        ],
        2,
        ["model 'screening' has no version '99'"],
    ),
    Case(
        "settings-deep-nesting",
        ["policy", "validate", P + "n_boot_huge.yaml"],
        2,
        [deep("{work}/govern.yaml", 2, 80, "settings")],
        prepare=bad_settings,
    ),
    # trail lines: a broken trail is a detected tamper (1); appending to one is refused (2)
    Case(
        "trail-deep-nested-line",
        ["verify", "--trail", "inputs/trail/deep_line.jsonl"],
        1,
        [PROBLEM_BAD_JSON.format(line=1, error="nested too deeply")],
    ),
    Case(
        "trail-not-utf8-line",
        ["verify", "--trail", "inputs/trail/not_utf8_line.jsonl"],
        1,
        [PROBLEM_BAD_JSON.format(line=1, error="not UTF-8 text")],
    ),
    Case(
        "trail-append-after-a-deep-line",
        [*APPROVE, *COMMENT, "--trail", "inputs/trail/deep_line.jsonl"],
        2,
        [APPEND_ON_BROKEN.format(path="inputs/trail/deep_line.jsonl", problem=LAST_LINE_BAD)],
    ),
    Case(
        "trail-head-deep-nested",
        ["verify", "--trail", "inputs/trail/head_deep.jsonl"],
        2,
        [
            HEAD_UNREADABLE.format(
                path="inputs/trail/head_deep.jsonl.head",
                error="maximum recursion depth exceeded while decoding a JSON array from a "
                "unicode stri",
            )
        ],
    ),
    Case(
        "trail-cut-and-head-rewritten",
        ["verify"],
        1,
        ["trail BROKEN in", "the register's screening version 1 tag govern.", "but the trail ends"],
        prepare=truncated_trail,
    ),
    Case(
        "trail-head-rolled-back",
        ["verify", "--no-register"],
        1,
        ["trail BROKEN in", PROBLEM_HEAD_LAGS.split("{head}")[0]],
        prepare=rolled_back_head,
    ),
]


def test_the_corpus_is_large_enough() -> None:
    assert len(CASES) >= 40
    assert len({case.id for case in CASES}) == len(CASES)
    used = {arg.removeprefix("inputs/") for case in CASES for arg in case.argv}
    for path in FIXTURES.rglob("*"):
        if path.is_file() and path.suffix != ".py" and not path.name.endswith(".head"):
            relative = path.relative_to(FIXTURES).as_posix()
            assert relative in used or relative in USED_INDIRECTLY, f"{relative} is never used"


# Inputs read through another one (an extends) or by a test of their own.
USED_INDIRECTLY = {"policies/nul_byte.yaml", "trail/head_deep.jsonl", "data/escape_labels.csv"}


# -- the scene ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def scene(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Scene]:
    """A register with a trained model (audited once) and a procured tool, and its trail."""
    root = tmp_path_factory.mktemp("hostile")
    work = root / "work"
    shutil.copytree(FIXTURES, work / "inputs", ignore=shutil.ignore_patterns("*.py"))
    (work / "secret.yaml").write_text(SECRET)
    uri = f"sqlite:///{root / 'register' / 'mlflow.db'}"
    (root / "register").mkdir()
    trail = work / ".govern" / "trail.jsonl"
    frame = mlflow_helpers.hiring_frame(300, seed=6, biased=False)
    frame = frame.assign(decision=frame["hired"], weight=1.0, score=frame["test_score"] / 100)
    frame.to_csv(work / "inputs" / "hiring.csv", index=False)
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(work)
        patch.setenv("MLFLOW_TRACKING_URI", uri)
        model = mlflow_helpers.train_model(mlflow_helpers.hiring_frame(500, seed=5, biased=False))
        meta = work / "screening.meta.yaml"
        meta.write_text(mlflow_helpers.META_YAML.format(name="screening"))
        card_file = work / "screening.card.yaml"
        card_file.write_text("model_details:\n  name: screening\n  owner: HR analytics\n")
        register_model(
            "screening",
            model_uri=mlflow_helpers.log_sklearn_model(uri, model),
            metadata=load_metadata(meta),
            card=card_file,
            tracking_uri=uri,
            trail=trail,
        )
        register_model("vendor-tool", tracking_uri=uri, trail=trail)
        run_audit(
            "screening",
            version="1",
            data=work / "inputs" / "hiring.csv",
            policy="public-sector-baseline",  # it asks for sign-offs, so approve can be tried
            sensitive=["sex"],
            y_true="hired",
            tracking_uri=uri,
            trail=trail,
        )
    yield Scene(work=work, uri=uri, trail=trail)


@pytest.fixture
def in_scene(scene: Scene, monkeypatch: pytest.MonkeyPatch) -> Scene:
    monkeypatch.chdir(scene.work)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", scene.uri)
    monkeypatch.setenv("GOVERN_ACTOR", "hostile-input-test")
    monkeypatch.delenv("GOVERN_TRAIL_KEY", raising=False)
    return scene


def register_state(uri: str, cwd: Path) -> dict[str, object]:
    """Every model, version, tag, alias and run of the register."""
    registry = Registry(uri, cwd=cwd)
    models = {}
    for model in registry.list_models():
        versions = {v.version: (v.tags, v.aliases) for v in registry.list_versions(model.name)}
        models[model.name] = (model.tags, model.aliases, model.description, versions)
    runs = {
        experiment: sorted(
            (run_id, registry.get_run_status(run_id)) for run_id in registry.search_runs(experiment)
        )
        for experiment in ("govern-audits", "govern-register", "training")
    }
    return {"models": models, "runs": runs}


def files_state(work: Path) -> dict[str, tuple[int, int]]:
    """Every file under the working folder (trail included) with its size and change time."""
    found = {}
    for path in sorted(work.rglob("*")):
        if path.name.endswith(".lock") or (path.is_dir() and not path.is_symlink()):
            continue
        stat = path.lstat()
        found[path.relative_to(work).as_posix()] = (stat.st_size, stat.st_mtime_ns)
    return found


def _expand(text: str, scene: Scene) -> str:
    from govern.policies.packs import PACKS_DIR

    expanded = text.replace("{work}", str(scene.work.resolve())).replace("{packs}", str(PACKS_DIR))
    expanded = expanded.replace("{uri}", scene.uri)
    if "{audit_run}" in expanded:  # the one audit run of the scene
        run_id = Registry(scene.uri, cwd=scene.work).get_version("screening", "1").tags
        expanded = expanded.replace("{audit_run}", run_id["govern.audit.run_id"])
    return expanded


def _params() -> list[object]:
    # Cases still expected to fail run last: a failing one may record something, and must not
    # change the scene the others run in.
    ordered = sorted(CASES, key=lambda case: case.xfail is not None)
    return [
        pytest.param(case, id=case.id, marks=[pytest.mark.xfail(reason=case.xfail, strict=True)])
        if case.xfail
        else pytest.param(case, id=case.id)
        for case in ordered
    ]


@pytest.mark.parametrize("case", _params())
def test_hostile_input(case: Case, in_scene: Scene, capsys: pytest.CaptureFixture[str]) -> None:
    undo = case.prepare(in_scene) if case.prepare else _nothing
    try:
        outside = in_scene.work.parent  # no govern.yaml there: a case may break the one here
        before = register_state(in_scene.uri, outside), files_state(in_scene.work)
        code = main([_expand(arg, in_scene) for arg in case.argv])
        out, err = capsys.readouterr()
        shown = out + err
        after = register_state(in_scene.uri, outside), files_state(in_scene.work)
    finally:
        undo()
    assert code == case.exit, shown
    for message in case.messages:
        assert _expand(message, in_scene) in shown
    assert "Traceback" not in shown and "internal error" not in shown
    for secret in case.never_shown:
        assert secret not in shown
    assert after[0] == before[0], "the register changed"
    assert after[1] == before[1], "files were written or changed"
    assert len(shown) < 4000, "a message should be a paragraph, not a dump"


def test_extends_outside_the_folder_prints_none_of_the_file(
    in_scene: Scene, capsys: pytest.CaptureFixture[str]
) -> None:
    secret = in_scene.work / "secret.yaml"
    absolute = in_scene.work / "inputs" / "policies" / "absolute.yaml"
    absolute.write_text(f'name: a\nversion: "1"\nextends: ["{secret}"]\n')
    undo = symlink_to_secret(in_scene)
    try:
        for policy in ("extends_outside.yaml", "extends_symlink.yaml", "absolute.yaml"):
            for command in (["policy", "validate"], ["policy", "show"]):
                assert main([*command, P + policy]) == 2
                shown = "".join(capsys.readouterr())
                assert "is outside the folders a policy may extend from" in shown
                for line in SECRET.splitlines():
                    for piece in line.split(": "):
                        assert piece not in shown
    finally:
        undo()
        absolute.unlink()


def test_policy_paths_in_govern_yaml_allow_a_shared_folder(
    in_scene: Scene, capsys: pytest.CaptureFixture[str]
) -> None:
    shared = in_scene.work / "shared"
    shared.mkdir()
    (shared / "base.yaml").write_text('name: base\nversion: "1"\nextends: [eeoc-four-fifths]\n')
    team = in_scene.work / "inputs" / "policies" / "team.yaml"
    team.write_text('name: team\nversion: "1"\nextends: [../../shared/base.yaml]\n')
    config = in_scene.work / "govern.yaml"
    try:
        assert main(["policy", "validate", P + "team.yaml"]) == 2
        config.write_text("policy_paths: [shared]\n")
        assert main(["policy", "validate", P + "team.yaml"]) == 0
        assert capsys.readouterr().out.startswith(P + "team.yaml: ok")
    finally:
        config.unlink(missing_ok=True)
        team.unlink()
        shutil.rmtree(shared)


def test_group_labels_cannot_drive_the_terminal(
    in_scene: Scene, capsys: pytest.CaptureFixture[str]
) -> None:
    for fmt in ("table", "json"):
        code = main([*FAIRNESS, "--data", D + "escape_labels.csv", "--bootstrap", "0",
                     "--format", fmt])  # fmt: skip
        out, err = capsys.readouterr()
        assert code == 0, err
        assert "\x1b" not in out + err and "\x07" not in out + err
        assert "\\u001b]0;pwned\\u0007" in out
        if fmt == "json":
            groups = {row["group"] for row in json.loads(out)["evidence"]["fairness"]["groups"]}
            assert "\x1b]0;pwned\x07\x1b[2J0" in groups  # the data is intact, only inert


def test_a_stalled_register_is_reported_within_ten_seconds(
    in_scene: Scene, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import socket
    import time

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as server:
        server.bind(("127.0.0.1", 0))
        server.listen(8)  # accepts connections (the kernel's backlog) and never answers
        monkeypatch.setenv("MLFLOW_TRACKING_URI", f"http://127.0.0.1:{server.getsockname()[1]}")
        for argv in (["models", "list"], ["verify"]):
            started = time.monotonic()
            code = main(argv)
            elapsed = time.monotonic() - started
            err = capsys.readouterr().err
            assert code == 2, err
            assert "cannot reach the MLflow tracking server" in err
            assert elapsed < 10, f"{argv} took {elapsed:.1f} s"


def test_a_register_that_answers_health_then_stalls_is_reported_within_ten_seconds(
    in_scene: Scene, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import threading
    import time
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    release = threading.Event()

    class Stalling(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path.startswith("/health"):
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"OK")
                return
            release.wait(60)  # every API call hangs until the test ends

        do_POST = do_GET

        def log_message(self, *args: object) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Stalling)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        monkeypatch.setenv("MLFLOW_TRACKING_URI", f"http://127.0.0.1:{server.server_port}")
        for argv in (["models", "list"], ["models", "show", "screening"], ["verify"]):
            started = time.monotonic()
            code = main(argv)
            elapsed = time.monotonic() - started
            err = capsys.readouterr().err
            assert code == 2, err
            assert "cannot reach the MLflow tracking server" in err, err
            assert elapsed < 10, f"{argv} took {elapsed:.1f} s"
    finally:
        release.set()
        server.shutdown()
        server.server_close()
