"""The interactive ``mmplug fire``: pick a hook, edit its fields, fire, look, repeat.

One session serves the whole loop, so state built by one call (KV values, posts) is seen by
the next. ``ask`` is injectable so the loop can be driven without a terminal.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from mmplug.errors import MmplugError

if TYPE_CHECKING:
    from rich.console import Console

    from mmplug.cassette.target import FireTarget
    from mmplug.cli._fire_input import FirePlan
    from mmplug.protocol.catalog import HookSpec

Ask = Callable[[str, str], str]
_SKIP = ("Implemented", "OnDeactivate")


def _rich_ask(prompt: str, default: str) -> str:
    from rich.prompt import Prompt

    return Prompt.ask(prompt, default=default, show_default=bool(default))


def ordered_hooks(implemented: list[str]) -> list[HookSpec]:
    """Every hook that can be fired, the implemented ones first."""
    from mmplug.protocol.catalog import HOOKS

    specs = [h for h in HOOKS if h.go_name not in _SKIP]
    return sorted(specs, key=lambda h: (h.go_name not in implemented, specs.index(h)))


def _menu(console: Console, specs: list[HookSpec], implemented: list[str]) -> None:
    from rich.text import Text

    console.print(Text("Hooks the plugin implements:", style="bold"))
    for i, spec in enumerate(specs, start=1):
        if i == len(implemented) + 1:
            console.print(Text("Other hooks (not implemented by the plugin):", style="dim"))
        style = "" if spec.go_name in implemented else "dim"
        console.print(Text(f"  {i:2}. {spec.go_name}", style=style))


def _choose(answer: str, specs: list[HookSpec]) -> HookSpec:
    from mmplug.host.payloads import resolve_hook

    if answer.isdigit() and 1 <= int(answer) <= len(specs):
        return specs[int(answer) - 1]
    return resolve_hook(answer)


def _edit(spec: HookSpec, target: FireTarget, plan: FirePlan, ask: Ask, console: Console
          ) -> list[str]:
    """Ask for the main field of the hook, then any ``path=value`` edits."""
    rest: list[str] = []
    if spec.go_name == "ExecuteCommand":
        triggers = target.commands()
        rest.append(ask("command", f"/{triggers[0]} " if triggers else "/hello"))
    elif spec.streaming:
        rest += [ask("method", "GET"), ask("path", "/")]
    elif "post" in spec.request.lower() or spec.go_name.startswith("Message"):
        plan.message = ask("message", plan.message or "Hello from mmplug fire")
    console.print("[dim]Edit fields as path=value (e.g. post.props.urgent=true); "
                  "empty line to fire.[/dim]")
    plan.sets = []
    while True:
        line = ask("field", "").strip()
        if not line:
            break
        plan.sets.append(line)
    return rest


def loop(target: FireTarget, plan: FirePlan, ask: Ask = _rich_ask,
         console: Console | None = None) -> int:
    """Run the loop until the user quits; returns the number of hooks fired."""
    from mmplug.cli import _render
    from mmplug.cli._console import output_console
    from mmplug.cli._fire_input import fire_on

    out = console or output_console()
    implemented = [h for h in target.implemented() if h not in _SKIP]
    specs = ordered_hooks(implemented)
    fired = 0
    _menu(out, specs, implemented)
    while True:
        try:
            answer = ask("hook (number or name, ? for the list, q to quit)", "1").strip()
        except (EOFError, KeyboardInterrupt):
            break
        if answer.lower() in ("q", "quit", "exit"):
            break
        if answer in ("?", "l", "list"):
            _menu(out, specs, implemented)
            continue
        try:
            spec = _choose(answer, specs)
            rest = _edit(spec, target, plan, ask, out)
            outcome = fire_on(target, spec, rest, plan)
        except MmplugError as exc:
            out.print(f"[bold red]error:[/bold red] {exc.render()}")
            continue
        except (EOFError, KeyboardInterrupt):
            break
        _render.print_outcome(out, outcome.entry, show_request=True)
        fired += 1
    return fired
