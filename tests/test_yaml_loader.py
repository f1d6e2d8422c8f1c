"""The one YAML loader: every hazard refused the same way by all five of its uses."""

from __future__ import annotations

import doctest
import importlib
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from govern.errors import BadInputError
from govern.limits import DEFAULT_LIMITS, Limits
from govern.metadata import load_metadata
from govern.model_cards.card import load_model_card
from govern.policies import load_policy, load_waivers
from govern.settings import load_settings
from govern.yaml_loader import (
    MSG_BAD_DATE,
    MSG_CONTROL_CHAR,
    MSG_DUPLICATE_KEY,
    MSG_HUGE_INT,
    MSG_MULTI_DOC,
    MSG_NOT_FINITE,
    MSG_NOT_UTF8,
    MSG_TOO_BIG,
    MSG_TOO_DEEP,
    excerpt,
    load_located,
)


def _settings(path: Path) -> object:
    return load_settings(path.parent, create_home=False)


# Each use of the loader, with the file name it reads and the kind its messages name.
USES: dict[str, tuple[str, str, Callable[[Path], object]]] = {
    "policy": ("p.yaml", "policy", load_policy),
    "waivers": ("w.yaml", "waivers", load_waivers),
    "metadata": ("m.yaml", "metadata", load_metadata),
    "card": ("c.yaml", "model card", load_model_card),
    "settings": ("govern.yaml", "settings", _settings),
}

FEB_30 = "day is out of range for month"
# hazard -> (file bytes, the message for a file named {file} of kind {kind})
HAZARDS: dict[str, tuple[bytes, str]] = {
    "deep nesting": (
        b"a: " + b"[" * 5000 + b"]" * 5000 + b"\n",
        MSG_TOO_DEEP.format(file="{file}", line=1, col=67, limit=64, kind="{kind}"),
    ),
    "impossible date": (
        b"a: 2027-02-30\n",
        MSG_BAD_DATE.format(
            file="{file}", line=1, col=4, path="a", found="'2027-02-30'", reason=FEB_30
        ),
    ),
    "impossible month": (
        b"a: 2027-13-01\n",
        MSG_BAD_DATE.format(
            file="{file}",
            line=1,
            col=4,
            path="a",
            found="'2027-13-01'",
            reason="month must be in 1..12",
        ),
    ),
    "impossible hour": (
        b"a: 2027-01-31T25:00:00\n",
        MSG_BAD_DATE.format(
            file="{file}",
            line=1,
            col=4,
            path="a",
            found="'2027-01-31T25:00:00'",
            reason="hour must be in 0..23",
        ),
    ),
    "second document": (
        b"a: 1\n---\na: 2\n",
        MSG_MULTI_DOC.format(file="{file}", line=2, col=1, kind="{kind}"),
    ),
    "huge integer": (
        b"a: " + b"7" * 5000 + b"\n",
        MSG_HUGE_INT.format(file="{file}", line=1, col=4, path="a", digits=5000),
    ),
    "NUL byte": (
        b"a: x\x00y\n",
        MSG_CONTROL_CHAR.format(file="{file}", line=1, col=5, code=0, kind="{kind}"),
    ),
    "not UTF-8": (
        b"a: caf\xe9\n",
        MSG_NOT_UTF8.format(file="{file}", line=1, col=7, byte=0xE9, kind="{kind}"),
    ),
    "NaN": (
        b"a: .nan\n",
        MSG_NOT_FINITE.format(file="{file}", line=1, col=4, path="a", found="'.nan'"),
    ),
    "duplicate key": (
        b"a: 1\na: 2\n",
        MSG_DUPLICATE_KEY.format(file="{file}", line=2, col=1, path="a", key="a", first=1),
    ),
    "too big": (
        b"a: '" + b"x" * (DEFAULT_LIMITS.yaml_max_bytes + 10) + b"'\n",
        MSG_TOO_BIG.format(file="{file}", limit=DEFAULT_LIMITS.yaml_max_bytes, kind="{kind}"),
    ),
}


@pytest.mark.parametrize("hazard", list(HAZARDS))
@pytest.mark.parametrize("use", list(USES))
def test_every_use_refuses_every_hazard_at_its_position(
    use: str, hazard: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    name, kind, load = USES[use]
    source = tmp_path / name
    content, message = HAZARDS[hazard]
    source.write_bytes(content)
    shown = str(source) if use in ("metadata", "card", "settings") else name
    argument = source if use != "policy" and use != "waivers" else Path(name)
    with pytest.raises(BadInputError) as caught:
        load(argument)
    expected = message.format(file=shown if use != "settings" else source.resolve(), kind=kind)
    assert expected in str(caught.value)


def test_a_ten_megabyte_file_is_refused_before_it_is_parsed(tmp_path: Path) -> None:
    source = tmp_path / "p.yaml"
    source.write_text('name: big\nversion: "1"\ndescription: ' + "x" * 10_000_000 + "\n")
    started = time.perf_counter()
    with pytest.raises(BadInputError):
        load_policy(source)
    assert time.perf_counter() - started < 2  # a bound on work done, not a benchmark


def test_limits_come_from_govern_yaml(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "card.yaml").write_text("model_details:\n  name: m\nfactors:\n  groups: [sex]\n")
    assert load_model_card(tmp_path / "card.yaml", limits=DEFAULT_LIMITS)
    (tmp_path / "govern.yaml").write_text("limits:\n  yaml_max_depth: 3\n")
    with pytest.raises(BadInputError) as caught:
        load_model_card(tmp_path / "card.yaml")
    assert "nested more than 3 levels deep" in str(caught.value)


def test_a_recursive_alias_is_refused_not_walked_forever() -> None:
    with pytest.raises(BadInputError) as caught:
        load_located("a: &loop [*loop]\n", "p.yaml", limits=Limits(yaml_max_depth=10))
    assert "nested more than 10 levels deep" in str(caught.value)


def test_messages_quote_only_an_excerpt_of_a_line() -> None:
    line = "root:x:0:0:root:/root:/bin/bash " * 20
    assert excerpt(line) == repr(line[:40] + "…")
    with pytest.raises(BadInputError) as caught:
        load_located(f"name: x\nversion: '1'\n{line}: 1\n{line}: 2\n", "p.yaml")
    assert line[:41] not in str(caught.value)
    assert len(str(caught.value)) < 300


def test_docstring_examples_run() -> None:
    modules = ("govern.yaml_loader", "govern.limits", "govern.markdown", "govern.metadata")
    for module in (*modules, "govern.cli.terminal", "govern.services.verification"):
        result = doctest.testmod(importlib.import_module(module))
        assert result.attempted > 0 and result.failed == 0, module


def test_a_file_that_is_one_long_text_is_not_quoted(tmp_path: Path) -> None:
    source = tmp_path / "passwd"
    source.write_text("root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1:daemon:/usr/sbin:/bin/sh\n")
    with pytest.raises(BadInputError) as caught:
        load_policy(source)
    assert "text, not a mapping" in str(caught.value)
    assert "root" not in str(caught.value).replace(str(tmp_path), "")
