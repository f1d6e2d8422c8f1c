"""``govern policy``: list the shipped packs, show or export a resolved policy, validate files,
print the JSON Schema. Thin: every command is one call of ``govern.policies``."""

from __future__ import annotations

import json

import click

from govern.cli.lazy import LazyGroup
from govern.cli.options import format_option

MSG_VALID = "{file}: ok ({rules} rules after extends)"
MSG_INVALID_SUMMARY = "{bad} of {total} policy file(s) have problems"


@click.group(cls=LazyGroup)
def policy() -> None:
    """List, show, export and validate policies; print the policy JSON Schema."""


@policy.command("list")
@format_option
def list_command(output_format: str) -> int:
    """List the shipped policy packs."""
    from govern.policies import list_packs

    packs = list_packs()
    if output_format == "json":
        click.echo(json.dumps([p.model_dump(mode="json") for p in packs], indent=2))
        return 0
    for pack in packs:
        click.echo(f"{pack.name:<26} {pack.version:<8} {pack.text_date or '':<11} {pack.title}")
    return 0


@policy.command("show")
@click.argument("source")
@format_option
def show(source: str, output_format: str) -> int:
    """Show the rules of a pack NAME or policy FILE after resolving extends (a table, or the
    resolved policy and its sha256 as JSON)."""
    from govern.policies import load_policy, policy_sha256
    from govern.policies.checks import describe_check

    resolved = load_policy(source)
    if output_format == "json":
        data = resolved.model_dump(mode="json")
        data["sha256"] = policy_sha256(resolved)
        click.echo(json.dumps(data, indent=2, ensure_ascii=False))
        return 0
    click.echo(f"{resolved.name} {resolved.version}  {resolved.title}".rstrip())
    click.echo(f"sha256 {policy_sha256(resolved)}")
    settings = resolved.settings
    click.echo(
        f"settings: min_group_size={settings.min_group_size} alpha={settings.alpha:g} "
        f"n_boot={settings.n_boot} confidence_level={settings.confidence_level:g} "
        f"reference={settings.reference} exclude_below_share={settings.exclude_below_share}"
    )
    for rule in resolved.rules:
        check = rule.check
        click.echo(f"- {rule.id} [{rule.severity}] {check.kind}: {describe_check(check)}")
        click.echo(f"    {rule.title}")
    return 0


@policy.command("export")
@click.argument("source")
def export(source: str) -> int:
    """Print a pack NAME or policy FILE as one self-contained policy YAML (extends resolved)."""
    from govern.policies import dump_policy, load_policy

    click.echo(dump_policy(load_policy(source)), nl=False)
    return 0


@policy.command("validate")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@format_option
def validate(files: tuple[str, ...], output_format: str) -> int:
    """Validate policy FILE(s); exit 0 when all load, 2 listing every problem otherwise."""
    from govern.errors import EXIT_BAD_INPUT, PolicyError
    from govern.policies import load_policy

    report: list[dict[str, object]] = []
    for file in files:
        try:
            resolved = load_policy(file)
        except PolicyError as error:
            report.append({"file": file, "ok": False, "problems": error.problems or [str(error)]})
        else:
            report.append({"file": file, "ok": True, "rules": len(resolved.rules), "problems": []})
    bad = [entry for entry in report if not entry["ok"]]
    if output_format == "json":
        click.echo(json.dumps(report, indent=2))
    else:
        for entry in report:
            if entry["ok"]:
                click.echo(MSG_VALID.format(file=entry["file"], rules=entry["rules"]))
            else:
                for problem in entry["problems"]:  # type: ignore[attr-defined]
                    click.echo(problem, err=True)
    if bad:
        click.echo(MSG_INVALID_SUMMARY.format(bad=len(bad), total=len(report)), err=True)
        return EXIT_BAD_INPUT
    return 0


@policy.command("schema")
def schema() -> int:
    """Print the JSON Schema of policy files (for editors and CI)."""
    from govern.policies import policy_json_schema

    click.echo(json.dumps(policy_json_schema(), indent=2, ensure_ascii=False))
    return 0
