"""Entry point of the ``govern`` console script and its single error boundary.

Every command returns normally (exit 0), exits 1 itself when a policy failed or a gate is closed,
or raises a ``GovernError``. This module maps what escapes to the exit-code contract: 2 for bad
input and usage (a message, never a traceback), 3 for anything unexpected (a short crash log).
"""

from __future__ import annotations

import sys

import click

from govern import __version__
from govern.cli.lazy import LazyGroup
from govern.errors import EXIT_BAD_INPUT, EXIT_INTERNAL_ERROR, GovernError

COMMANDS: dict[str, tuple[str, str]] = {
    "demo": ("govern.cli.demo:demo", "Run the whole job end to end on synthetic recruitment data."),
    "datasets": ("govern.cli.datasets:datasets", "Generate synthetic public-sector HR data sets."),
    "audit": ("govern.cli.audit:audit", "Audit data or a registered model for fairness."),
    "monitor": (
        "govern.cli.monitor:monitor",
        "Judge a policy on a decision log period by period; drift alarms.",
    ),
    "policy": ("govern.cli.policy:policy", "List, show, validate policies; print the schema."),
    "register": ("govern.cli.register:register", "Register a model with its governance metadata."),
    "models": ("govern.cli.models:models", "The inventory of registered models and their audits."),
    "approve": ("govern.cli.approve:approve", "Record a human sign-off on a model version."),
    "gate": ("govern.cli.gate:gate", "Open or close the deployment gate for a model version."),
    "verify": ("govern.cli.verify:verify", "Check that the audit trail has not been altered."),
    "card": ("govern.cli.documents:card", "Render the model card of a registered version."),
    "report": ("govern.cli.documents:report", "Render the compliance report of a recorded audit."),
    "register-page": (
        "govern.cli.documents:register_page",
        "Write the public algorithm register page.",
    ),
}


@click.group(
    cls=LazyGroup, lazy_commands=COMMANDS, context_settings={"help_option_names": ["-h", "--help"]}
)
@click.version_option(__version__, prog_name="govern")
def cli() -> None:
    """govern: fairness and transparency audits, model cards and deployment gates for AI that
    recommends or decides things about people.

    Exit codes: 0 success or gate open; 1 policy failed or gate closed; 2 bad input or usage;
    3 internal error.
    """


def _report_crash(error: BaseException) -> None:
    import platform
    import tempfile
    import traceback

    from govern.adapters.files import write_text_atomic

    log = "".join(traceback.format_exception(error))
    header = f"govern {__version__}, Python {platform.python_version()}, {platform.platform()}\n"
    try:
        path = write_text_atomic(
            tempfile.mkdtemp(prefix="govern-crash-") + "/crash.log", header + log
        )
        where = f" Details for a bug report: {path}"
    except OSError:
        where = ""
    click.echo(f"govern: internal error: {type(error).__name__}: {error}.{where}", err=True)


def main(argv: list[str] | None = None) -> int:
    """Run the CLI and return (and exit with) the contract's exit code.

    Everything printed goes through :func:`govern.cli.terminal.inert_terminal`, so no text
    from an input can send control characters to the terminal.
    """
    from govern.cli.terminal import inert_terminal

    with inert_terminal():
        code = _run(argv)
    if argv is None:
        sys.exit(code)
    return code


def _run(argv: list[str] | None) -> int:
    try:
        result = cli.main(args=argv, prog_name="govern", standalone_mode=False)
    except click.exceptions.Exit as done:
        code = done.exit_code
    except click.ClickException as usage:
        usage.show()
        code = EXIT_BAD_INPUT
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        code = EXIT_BAD_INPUT
    except GovernError as error:
        click.echo(f"govern: error: {error}", err=True)
        code = error.exit_code
    except Exception as error:  # the boundary: anything unplanned is exit 3 with a crash log
        _report_crash(error)
        code = EXIT_INTERNAL_ERROR
    else:
        code = result if isinstance(result, int) else 0
    return code
