"""``mmplug bundle [PATH]`` and ``mmplug bundle inspect FILE``: parse options, render results."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from typer.core import TyperGroup

from mmplug.cli._options import FORMAT, PROJECT_HELP

if TYPE_CHECKING:
    from mmplug.bundle.inspect import Report

class _DefaultBuild(TyperGroup):
    """A group whose default sub-command is ``build``: ``bundle [PATH]`` means ``bundle build``,
    and ``bundle --help`` shows build's arguments and options with the sub-commands."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        if not args or (args[0] not in self.commands and args[0] not in ("-h", "--help")):
            args = ["build", *args]
        return super().parse_args(ctx, args)

    def format_help(self, ctx: Any, formatter: Any) -> None:
        import copy

        shown = copy.copy(self)
        shown.params = [*self.commands["build"].params, *self.params]
        shown.subcommand_metavar = "| inspect FILE [OPTIONS]"
        TyperGroup.format_help(shown, ctx, formatter)


bundle_app = typer.Typer(
    cls=_DefaultBuild,
    help="Pack a plugin into a server-installable tarball (`bundle [PATH]`, the same as "
    "`bundle build [PATH]`), or check one (`bundle inspect FILE`).",
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _check_format(value: str) -> str:
    from mmplug.cli._options import FORMATS

    if value not in FORMATS:
        raise typer.BadParameter(f"use one of: {', '.join(FORMATS)}")
    return value


@bundle_app.command("build")
def build(
    path: Annotated[Path | None, typer.Argument(help=PROJECT_HELP, show_default=False)] = None,
    output: Annotated[Path | None, typer.Option(
        "--output", "-o", help="Directory to write the bundle to (default: PATH/dist).")] = None,
    platform: Annotated[list[str] | None, typer.Option(
        "--platform", help="Target server platform, repeatable (linux-amd64, linux-arm64, "
        "darwin-amd64, darwin-arm64). Default: linux-amd64 and linux-arm64.")] = None,
    python: Annotated[list[str] | None, typer.Option(
        "--python", help="Target CPython version, repeatable, e.g. 3.11. Default: the "
        "versions server.python_version in plugin.json names, else the Python running "
        "mmplug.")] = None,
    wheelhouse: Annotated[Path | None, typer.Option(
        "--wheelhouse", help="Install wheels only from this directory (offline build).")] = None,
    force: Annotated[bool, typer.Option(
        "--force", help="Bundle files that look like secrets.")] = False,
    output_format: Annotated[str, FORMAT.typer(callback=_check_format)] = "text",
) -> None:
    """Build dist/<id>-<version>.tar.gz with vendored dependencies (the default command)."""
    from mmplug._plugin_files import project_dir
    from mmplug.bundle import BundleOptions, build_bundle

    options = BundleOptions(project=Path(project_dir(path)), out_dir=output,
                            platforms=platform or None, pythons=python or None,
                            wheelhouse=wheelhouse, force=force)
    if output_format == "text":
        from mmplug.cli._bundle_progress import RichReporter

        with RichReporter() as reporter:
            options.reporter = reporter
            result = build_bundle(options)
    else:
        result = build_bundle(options)
    if output_format == "json":
        typer.echo(json.dumps(result.as_dict(), indent=2))
        return
    for warning in result.warnings:
        typer.echo(f"warning: {warning}", err=True)
    for note in result.notes:
        typer.echo(f"note: {note}", err=True)
    typer.echo(f"{result.path}")
    typer.echo(f"  size    {result.size} bytes ({result.size / 1048576:.1f} MiB)")
    typer.echo(f"  sha256  {result.sha256}")
    typer.echo(f"  targets {', '.join(result.targets)}")


@bundle_app.command("inspect")
def inspect(
    file: Annotated[Path, typer.Argument(help="A plugin bundle (.tar.gz).")],
    output_format: Annotated[str, FORMAT.typer(callback=_check_format)] = "text",
    max_member_size: Annotated[int, typer.Option(
        "--max-member-size", help="Refuse members larger than this (bytes).")] = 100 * 1024 * 1024,
) -> None:
    """List a bundle's contents and check it is safe and valid, without extracting it."""
    from mmplug.bundle import inspect_bundle

    report = inspect_bundle(file, max_member_size=max_member_size)
    if output_format == "json":
        typer.echo(json.dumps(report.as_dict(), indent=2))
    else:
        _render_report(report)
    if not report.ok:
        raise typer.Exit(1)


def _safe(text: str) -> str:
    """Names from a hostile archive may carry terminal escapes: show them escaped."""
    return "".join(c if c.isprintable() or c == "\n" else f"\\x{ord(c):02x}" for c in text)


def _render_report(report: Report) -> None:
    for member in report.members:
        size = "" if member.kind == "dir" else str(member.size)
        kind = "" if member.kind in ("file", "dir") else f"  [{member.kind}]"
        typer.echo(f"{member.mode:04o} {size:>10} {_safe(member.name)}{kind}")
    manifest = report.manifest or {}
    gap = "\n" if report.members else ""  # a blank line after the listing, if there is one
    typer.echo(f"{gap}{report.path}: {len(report.members)} members, {report.size} bytes, "
               f"sha256 {report.sha256}")
    if manifest:
        version = manifest.get("version")
        typer.echo(_safe(f"plugin {manifest.get('id')} "
                         + (str(version) if version else "(no version)")))
    if report.targets:
        typer.echo(_safe(f"vendored targets {', '.join(report.targets)}"))
    for warning in report.warnings:
        typer.echo(f"warning: {_safe(warning)}", err=True)
    for finding in report.findings:
        typer.echo(f"{finding.severity}: {_safe(str(finding))}", err=True)
    for problem in report.problems:
        typer.echo(f"refused: {_safe(problem)}", err=True)
    typer.echo("OK" if report.ok else "NOT OK: this bundle must not be installed",
               err=not report.ok)


def register(app: typer.Typer) -> None:
    app.add_typer(bundle_app, name="bundle")
