"""The README's examples run, so the documentation cannot drift from the code."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from govern.cli.main import main
from govern.policies import load_policy

REPO = Path(__file__).resolve().parents[1]
README = (REPO / "README.md").read_text(encoding="utf-8")


def _blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", README, flags=re.DOTALL)


def test_readme_policy_example_loads(tmp_path: Path) -> None:
    (policy_text,) = [b for b in _blocks("yaml") if b.startswith("name:")]
    path = tmp_path / "city-hiring.yaml"
    path.write_text(policy_text, encoding="utf-8")
    policy = load_policy(path)
    assert policy.name == "city-hiring"
    assert policy.rule("tpr-gap") is not None
    assert policy.rule("ll144-impact-ratio").severity == "blocking"


def test_readme_python_example_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert (
        main(["datasets", "generate", "recruitment", "--rows", "3000", "--out", "applicants.csv"])
        == 0
    )
    (example,) = _blocks("python")
    namespace: dict[str, object] = {}
    exec(compile(example, "README.md", "exec"), namespace)  # our own README
    frame = namespace["evidence"].to_frame()  # type: ignore[attr-defined]
    assert list(frame.columns) == [
        "attribute",
        "group",
        "n",
        "metric",
        "value",
        "ci_low",
        "ci_high",
    ]
    assert {"sex", "ethnicity", "sex & ethnicity"} <= set(frame["attribute"])


def test_readme_tour_commands_parse() -> None:
    """Every `govern ...` line of the tour names a real command and options it accepts."""
    (tour,) = [b for b in _blocks("bash") if "govern datasets list" in b]
    joined = tour.replace("\\\n", " ")
    for line in joined.splitlines():
        line = line.strip()
        if not line.startswith("govern "):
            continue
        words = line.split(">")[0].split()[1:]
        # --help after the command path checks that every option in the line exists
        options = [w.split("=")[0] for w in words if w.startswith("--")]
        command = [w for w in words if not w.startswith("-")][:2]
        code = main([*command[:1], *(command[1:2] if _is_group(command[0]) else []), "--help"])
        assert code == 0, line
        help_text = _help_text(command)
        for option in options:
            assert option in help_text, f"{option} is not an option of: {line}"


def _is_group(name: str) -> bool:
    return name in {"datasets", "audit", "policy", "models"}


def _help_text(command: list[str]) -> str:
    import click

    from govern.cli.main import cli

    context = click.Context(cli)
    current: click.Command | None = cli
    for name in command[: 2 if _is_group(command[0]) else 1]:
        assert isinstance(current, click.Group)
        current = current.get_command(context, name)
        assert current is not None, name
    return current.get_help(click.Context(current))


def test_no_readme_example_refers_to_shared_design_notes() -> None:
    assert "../shared" not in README
    assert os.path.exists(REPO / "docs" / "gate.md")
