"""The interactive ``mmplug fire``: pick a hook, edit its fields, fire, look, repeat.

The picker is line based (click's prompts; readline, where Python has it, edits the line and
completes hook names and field paths with Tab), so it works alike on any terminal:

* the hooks the plugin implements are numbered first and shown again right above every hook
  prompt, so a long list never scrolls them away; typing part of a name filters the rest;
* a picked hook shows the fields of the payload it will send with their current values;
* an edit (``path=value``, or plain text for the hook's main field: the post text, the slash
  command, ``METHOD /path`` for ServeHTTP) is checked the moment it is typed: a bad one is
  reported and dropped, the other edits stay. Edits are kept per hook for the next fire.

One session serves the whole loop, so state built by one call (KV values, posts) is seen by
the next. ``ask`` is injectable so the loop can be driven without a terminal too.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from mmplug.errors import MmplugError, UsageError

if TYPE_CHECKING:
    from rich.console import Console

    from mmplug.fire import FirePlan
    from mmplug.fire import Target as FireTarget
    from mmplug.protocol.catalog import HookSpec

Ask = Callable[[str, str], str]
_SKIP = ("Implemented", "OnDeactivate")
HOOK_PROMPT = "hook (number, name or part of one; ? all hooks; q quits)"
EDIT_PROMPT = "edit (path=value; Enter fires; ? fields; - drops edits; q back)"
# `path=value` as --set takes it: post.message=hi, posts[0].message=hi, post.props.urgent=1
_EDIT = re.compile(r"^\s*[A-Za-z_]\w*(?:\.\w+|\[\d+\])*\s*=")


def _terminal_ask(prompt: str, default: str) -> str:
    """click's prompt (through typer): it hands the prompt to ``input()``, so readline's
    editing and Tab completion redraw it. Ctrl-D ends the loop (EOFError); Ctrl-C stops the
    command as it stops any other (click reports both as Abort, raised while handling the
    one the user typed)."""
    import typer

    from mmplug.cli._stop import CtrlCWakesThePrompt

    try:
        with CtrlCWakesThePrompt():
            return str(typer.prompt(prompt, default=default, show_default=bool(default)))
    except typer.Abort as exc:
        if not isinstance(exc.__context__, KeyboardInterrupt):
            raise EOFError from None
    except KeyboardInterrupt:
        pass
    typer.echo()  # Ctrl-C: what is said next starts on a line of its own, not after the prompt
    raise KeyboardInterrupt


def _complete_with(words: list[str]) -> None:
    """Let Tab complete ``words`` at the next prompts (where Python has readline)."""
    try:
        import readline
    except ImportError:  # pragma: no cover - Windows builds without readline
        return

    def complete(text: str, state: int) -> str | None:
        lowered = text.lower()
        found = [w for w in words if w.lower().startswith(lowered)]
        return found[state] if state < len(found) else None

    readline.set_completer(complete)
    readline.set_completer_delims(" \t=")
    if "libedit" in (readline.__doc__ or ""):  # macOS's readline
        readline.parse_and_bind("bind ^I rl_complete")
    else:
        readline.parse_and_bind("tab: complete")


def ordered_hooks(implemented: list[str]) -> list[HookSpec]:
    """Every hook that can be fired, the implemented ones first (their numbers in the
    picker)."""
    from mmplug.protocol.catalog import HOOKS

    specs = [h for h in HOOKS if h.go_name not in _SKIP]
    return sorted(specs, key=lambda h: (h.go_name not in implemented, specs.index(h)))


def matching(text: str, specs: list[HookSpec]) -> list[HookSpec]:
    """The hooks whose Go or Python name contains ``text`` (any case, ``_`` ignored)."""
    from mmplug.host.payloads import hook_key

    wanted = hook_key(text)
    return [s for s in specs if wanted in hook_key(s.go_name)]


@dataclass
class _Draft:
    """What the user set up for one hook: shortcut words and ``path=value`` edits by path."""

    rest: list[str] = field(default_factory=list)
    edits: dict[str, str] = field(default_factory=dict)


class Picker:
    """The loop's state: the numbered hooks, the drafts per hook, the last hook fired."""

    def __init__(self, target: FireTarget, plan: FirePlan, ask: Ask, console: Console) -> None:
        self.target, self.plan, self.ask, self.out = target, plan, ask, console
        self.implemented = [h for h in target.implemented() if h not in _SKIP]
        self.specs = ordered_hooks(self.implemented)
        self.drafts: dict[str, _Draft] = {}
        self.last = 1
        self.fired = 0

    # --- choosing a hook --------------------------------------------------------------------

    def number(self, spec: HookSpec) -> int:
        return self.specs.index(spec) + 1

    def _entry(self, spec: HookSpec) -> str:
        return f"{self.number(spec):>2}. {spec.go_name}"

    def show_implemented(self) -> None:
        from rich.text import Text

        mine = self.specs[:len(self.implemented)]
        if not mine:
            self.out.print(Text("The plugin implements no hooks to fire; all hooks:", style="bold"))
            return
        self.out.print(Text("Hooks the plugin implements:", style="bold"))
        self.out.print(Text("  " + "   ".join(self._entry(s) for s in mine)))
        others = len(self.specs) - len(mine)
        self.out.print(Text(f"{others} other hooks: type part of a name to find one, "
                            "? to list them all.", style="dim"))

    def show(self, specs: list[HookSpec], title: str) -> None:
        """``specs`` in columns; the implemented ones last, next to the prompt."""
        from rich.columns import Columns
        from rich.text import Text

        others = [s for s in specs if s.go_name not in self.implemented]
        mine = [s for s in specs if s.go_name in self.implemented]
        self.out.print(Text(title, style="bold"))
        if others:
            self.out.print(Columns([Text(self._entry(s), style="dim") for s in others],
                                   padding=(0, 3)))
        if mine:
            self.out.print(Text("implemented by the plugin:", style="bold"))
            self.out.print(Columns([Text(self._entry(s)) for s in mine], padding=(0, 3)))

    def choose(self, answer: str) -> HookSpec | None:
        """The hook ``answer`` names, or None after showing what it matched (a filter)."""
        from mmplug.host.payloads import hook_key, resolve_hook

        if answer.isdigit():
            if 1 <= int(answer) <= len(self.specs):
                return self.specs[int(answer) - 1]
            raise UsageError(f"there is no hook number {answer}",
                             hint=f"numbers go from 1 to {len(self.specs)}")
        exact = [s for s in self.specs if hook_key(s.go_name) == hook_key(answer)]
        if exact:
            return exact[0]
        found = matching(answer, self.specs)
        if len(found) == 1:
            return found[0]
        if not found:
            resolve_hook(answer)  # raises, with the closest names
            raise UsageError(f"{answer!r} cannot be fired from here")  # Implemented, ...
        self.show(found, f"{len(found)} hooks match {answer!r}: type a number or more of "
                         "the name")
        return None

    # --- editing and firing -----------------------------------------------------------------

    def draft(self, spec: HookSpec) -> _Draft:
        if spec.go_name not in self.drafts:  # --set on the command line: the first edits
            edits = {expr.partition("=")[0].strip(): expr for expr in self.plan.sets}
            self.drafts[spec.go_name] = _Draft(edits=edits)
        return self.drafts[spec.go_name]

    def build(self, spec: HookSpec, draft: _Draft) -> Any:
        from mmplug.fire import build_request

        plan = replace(self.plan, sets=list(draft.edits.values()))
        return build_request(self.target, spec, draft.rest, plan)

    def main_field(self, spec: HookSpec, request: Any) -> str | None:
        """The field plain text sets: the post's text, the command; None when there is none."""
        if spec.streaming:
            return "METHOD /path"
        if spec.go_name == "ExecuteCommand":
            return "args.command"
        names = request.DESCRIPTOR.fields_by_name
        for name in ("post", "new_post"):
            if name in names and names[name].message_type.name == "Post":
                return f"{name}.message"
        return None

    def show_fields(self, spec: HookSpec, request: Any, draft: _Draft) -> None:
        from rich.table import Table
        from rich.text import Text

        from mmplug.host.payload_fields import field_values

        rows = field_values(request)
        table = Table(box=None, show_header=False, padding=(0, 1, 0, 2))
        table.add_column("path", style="cyan", no_wrap=True)
        table.add_column("value", overflow="ellipsis", no_wrap=True)
        edited = {p.split("[")[0] for p in draft.edits}
        for path, value in rows:
            mark = " *" if any(path == p or path.startswith(p + ".") for p in edited) else ""
            table.add_row(path + mark, value if len(value) <= 200 else value[:197] + "...")
        title = f"{spec.go_name}: the payload it will send"
        self.out.print(Text(title, style="bold"))
        if rows:
            self.out.print(table)
        else:
            self.out.print(Text("  (no fields)", style="dim"))
        main = self.main_field(spec, request)
        note = (f"plain text sets {main}; " if main else "") + "* marks your edits"
        self.out.print(Text(f"  {note}", style="dim"))

    def list_paths(self, request: Any) -> None:
        from rich.columns import Columns
        from rich.text import Text

        from mmplug.host.payload_fields import field_paths

        paths = field_paths(request.DESCRIPTOR, depth=2)
        self.out.print(Text("fields you can set (deeper ones by path too):", style="bold"))
        self.out.print(Columns([Text(p, style="cyan") for p in paths], padding=(0, 2)))

    def edit(self, spec: HookSpec) -> bool:
        """Edit the payload of ``spec`` until the user fires (True) or goes back (False)."""
        from rich.text import Text

        from mmplug.host.payload_fields import field_paths, field_values

        draft = self.draft(spec)
        try:
            request = self.build(spec, draft)
        except MmplugError as exc:  # a --set of the command line that this hook cannot take
            self.out.print(Text.assemble(("✗ ", "bold red"), exc.render()))
            self.out.print(Text("  starting from the synthesized payload instead", style="dim"))
            draft.rest, draft.edits = [], {}
            request = self.build(spec, draft)
        self.show_fields(spec, request, draft)
        _complete_with(field_paths(request.DESCRIPTOR))
        while True:
            line = self.ask(EDIT_PROMPT, "").strip()
            if not line:
                return self._fire(spec, request, draft)
            if line.lower() in ("q", "quit", "back"):
                return False
            if line == "?":
                self.show_fields(spec, request, draft)
                self.list_paths(request)
                continue
            if line.startswith("-"):
                dropped = line[1:].strip()
                if dropped:
                    draft.edits.pop(dropped, None)
                else:
                    draft.edits.clear()
                    draft.rest = []
                request = self.build(spec, draft)
                self.show_fields(spec, request, draft)
                continue
            candidate = self._apply(spec, request, draft, line)
            if candidate is None:
                continue
            try:
                changed = self.build(spec, candidate)
            except MmplugError as exc:
                text = exc.render()  # "--set post.x: ..." is the command line's wording
                self.out.print(Text.assemble(("✗ ", "bold red"), text.removeprefix("--set ")))
                kept = ", ".join(draft.edits) or "none"
                self.out.print(Text(f"  that edit was not applied; your edits are kept: {kept}",
                                    style="dim"))
                continue
            before = dict(field_values(request))
            after = field_values(changed)
            for path, value in after:
                if before.get(path) != value:
                    self.out.print(Text.assemble(("✔ ", "bold green"), (path, "cyan"),
                                                 f" = {value}"))
            draft.rest, draft.edits, request = candidate.rest, candidate.edits, changed

    def _apply(self, spec: HookSpec, request: Any, draft: _Draft, line: str
               ) -> _Draft | None:
        """The draft with ``line`` applied, or None (and a message) when it is no edit."""
        from rich.text import Text

        if _EDIT.match(line):
            path = line.partition("=")[0].strip()
            return _Draft(list(draft.rest), {**{k: v for k, v in draft.edits.items()
                                                if k != path}, path: line.strip()})
        main = self.main_field(spec, request)
        if main is None:
            self.out.print(Text.assemble(
                ("✗ ", "bold red"), f"{spec.go_name} has no text field to set with plain "
                "text: write path=value (? lists the fields)"))
            return None
        if spec.streaming or spec.go_name == "ExecuteCommand":
            words = line.split() if spec.streaming else [line]
            return _Draft(words, dict(draft.edits))
        return _Draft(list(draft.rest), {**draft.edits, main: f"{main}={line}"})

    def _fire(self, spec: HookSpec, request: Any, draft: _Draft) -> bool:
        from rich.text import Text

        from mmplug.cli import _render
        from mmplug.cli._fire_run import document
        from mmplug.fire import send

        edits = ", ".join(draft.edits)
        self.out.print(Text(f"→ firing {spec.go_name}"
                            + (f" with your edits: {edits}" if edits else ""), style="bold"))
        event = send(self.target, spec, request)
        shown = document(event)
        if self.fired:  # what loading the plugin gave (warnings, findings) is said once
            shown = {k: v for k, v in shown.items() if k not in ("warnings", "findings")}
        _render.print_outcome(self.out, shown)
        self.fired += 1
        return True

    # --- the loop -----------------------------------------------------------------------------

    def run(self) -> int:
        self.show_implemented()
        _complete_with([name for s in self.specs for name in (s.go_name, s.py_name)])
        while True:
            try:
                answer = self.ask(HOOK_PROMPT, str(self.last)).strip()
            except EOFError:  # Ctrl-D (Ctrl-C stops the command)
                break
            if answer.lower() in ("q", "quit", "exit"):
                break
            try:
                if answer in ("?", "l", "list"):
                    self.show(self.specs, "All hooks:")
                    continue
                spec = self.choose(answer)
                if spec is None:
                    continue
                self.last = self.number(spec)
                self.edit(spec)
            except MmplugError as exc:
                self.out.print(f"[bold red]error:[/bold red] {exc.render()}")
            except EOFError:
                break
            self.show_implemented()
            _complete_with([name for s in self.specs for name in (s.go_name, s.py_name)])
        return self.fired


def loop(target: FireTarget, plan: FirePlan, ask: Ask = _terminal_ask,
         console: Console | None = None) -> int:
    """Run the picker until the user quits; returns the number of hooks fired."""
    from mmplug.cli._console import output_console

    return Picker(target, plan, ask, console or output_console()).run()
