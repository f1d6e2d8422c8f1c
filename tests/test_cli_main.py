"""The CLI's front door: help, exit-code contract, the error boundary, fast start."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import click
import pytest

from govern.cli.main import COMMANDS, cli, main
from govern.errors import BadInputError

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def extra_command() -> Iterator[click.Group]:
    """Temporarily add commands to the real group, for error-boundary tests."""
    added: list[str] = []

    def add(command: click.Command) -> None:
        cli.add_command(command)
        added.append(command.name or "")

    yield add  # type: ignore[misc]
    for name in added:
        cli.commands.pop(name, None)


def test_help_lists_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    for name, (_, help_line) in COMMANDS.items():
        assert f"{name}  " in out
        assert help_line[:40] in out


def test_every_command_imports_and_has_help() -> None:
    context = click.Context(cli)
    for name in COMMANDS:
        command = cli.get_command(context, name)
        assert command is not None, name
        assert command.help, f"{name} has no help text"


def test_every_command_is_in_the_readme() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    for name in COMMANDS:
        assert f"govern {name}" in readme, f"README does not mention `govern {name}`"


def test_unknown_command_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["no-such-command"]) == 2
    assert "No such command 'no-such-command'" in capsys.readouterr().err


def test_bad_input_maps_to_exit_2_without_traceback(
    extra_command: click.Group, capsys: pytest.CaptureFixture[str]
) -> None:
    @click.command("bad-input-probe")
    def probe() -> None:
        raise BadInputError("data.csv: column 'hired' is missing.")

    extra_command(probe)  # type: ignore[operator]
    assert main(["bad-input-probe"]) == 2
    err = capsys.readouterr().err
    assert err == "govern: error: data.csv: column 'hired' is missing.\n"


def test_unexpected_error_maps_to_exit_3_with_a_crash_log(
    extra_command: click.Group, capsys: pytest.CaptureFixture[str]
) -> None:
    @click.command("crash-probe")
    def probe() -> None:
        raise RuntimeError("something broke")

    extra_command(probe)  # type: ignore[operator]
    assert main(["crash-probe"]) == 3
    err = capsys.readouterr().err
    assert err.startswith("govern: internal error: RuntimeError: something broke.")
    log_path = Path(err.split("Details for a bug report: ")[1].strip())
    log = log_path.read_text(encoding="utf-8")
    assert log.startswith("govern 0.1.0, Python ")
    assert "Traceback" in log


def test_help_does_not_import_heavy_libraries() -> None:
    govern = Path(sys.executable).with_name("govern")
    probe = (
        "import sys; from govern.cli.main import main; main(['--help']); "
        "heavy = [m for m in ('pandas', 'mlflow', 'fairlearn', 'aif360', 'sklearn', "
        "'matplotlib', 'scipy') if m in sys.modules]; print('HEAVY', heavy)"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, cwd="/", check=False
    )
    assert "HEAVY []" in result.stdout, result.stdout + result.stderr
    assert govern.exists()


def _all_commands() -> list[tuple[str, click.Command]]:
    import click

    from govern.cli.main import cli

    found: list[tuple[str, click.Command]] = []

    def walk(prefix: str, group: click.Group) -> None:
        context = click.Context(group)
        for name in group.list_commands(context):
            command = group.get_command(context, name)
            assert command is not None
            path = f"{prefix} {name}".strip()
            if isinstance(command, click.Group):
                walk(path, command)
            else:
                found.append((path, command))

    walk("", cli)
    return found


def test_every_command_speaks_one_format_vocabulary() -> None:
    # --format is table|json wherever it exists, with JSON for scripts.
    seen = 0
    for path, command in _all_commands():
        for parameter in command.params:
            if "--format" in getattr(parameter, "opts", []):
                choices = list(getattr(parameter.type, "choices", []))
                assert choices == ["table", "json"], (path, choices)
                seen += 1
    assert seen >= 10
