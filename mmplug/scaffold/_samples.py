"""Re-record the sample cassettes of the built-in templates (a maintainer's tool).

    python -m mmplug.scaffold._samples [TEMPLATE ...]

Each template is rendered for a throw-away id, a few hooks are fired at it with
``mmplug fire --record``, and the names that came from the answers are turned back into
template variables. Run it after a change to the cassette format, the default world or a
template's behaviour; the scaffold tests replay every cassette in a rendered project.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from mmplug._atomic import write_file
from mmplug.scaffold._create import create_project
from mmplug.scaffold._find import builtin_names, builtin_root

SAMPLE = Path("fixtures") / "cassettes" / "sample.jsonl"
PROBE_ID = "com.example.zzq"  # every name derived from it contains "zzq"
CALLS: dict[str, list[list[str]]] = {
    "minimal": [["OnActivate"], ["OnConfigurationChange"]],
    "slash-command": [["ExecuteCommand", "/zzq echo hi there"], ["ExecuteCommand", "/zzq whoami"]],
    "http": [["ServeHTTP", "GET", "/api/v1/status"], ["ServeHTTP", "GET", "/api/v1/me"]],
    "bot": [["MessageWillBePosted", "-m", "a badword"], ["MessageWillBePosted", "-m", "hello"]],
}
TEMPLATED = [
    (PROBE_ID, "{{cookiecutter.plugin_id}}"),
    ("ZzqPlugin", "{{cookiecutter.__class_name}}"),
    ("zzq-bot", "{{cookiecutter.__bot_username}}"),
    ("/zzq ", "/{{cookiecutter.__trigger}} "),
    ('\\"version\\": \\"0.1.0\\"', '\\"version\\": \\"{{cookiecutter.version}}\\"'),
]


def record(template: str) -> Path:
    """Record the sample cassette of one built-in template; returns where it was written."""
    work = Path(tempfile.mkdtemp(prefix="mmplug-samples-"))
    try:
        project = create_project(PROBE_ID, template=template, parent=work,
                                 answers={"version": "0.1.0"}).path
        out = project / SAMPLE
        out.unlink(missing_ok=True)  # the template's current sample: record afresh
        for call in CALLS[template]:
            subprocess.run([sys.executable, "-m", "mmplug.cli.main", "fire", *call, "--record",
                            str(out), "--python", sys.executable],
                           cwd=project, check=True, capture_output=True, timeout=120)
        one_session(out)
        check(out, project)
        text = templated(out.read_text(encoding="utf-8"))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    dest = builtin_root() / template / "{{cookiecutter.plugin_id}}" / SAMPLE
    write_file(dest, text)
    return dest


def one_session(path: Path) -> None:
    """Each `mmplug fire` recorded its own session; replay them as one (one plugin start)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    entries = [json.loads(line) for line in lines[1:]]
    for entry in entries[1:]:
        entry["session_start"] = False
    body = [json.dumps(e, sort_keys=True, separators=(",", ":")) for e in entries]
    path.write_text("\n".join([lines[0], *body]) + "\n", encoding="utf-8")


def check(path: Path, project: Path) -> None:
    from mmplug.cassette import replay_cassette

    report = replay_cassette(path, project, python=sys.executable)
    if not report.ok:
        raise SystemExit(f"the recorded cassette does not replay:\n{report.render()}")


def templated(text: str) -> str:
    lines = text.splitlines()
    header = json.loads(lines[0])
    header["created_at"] = "2026-01-01T00:00:00+00:00"  # no churn on re-recording
    text = "\n".join([json.dumps(header, sort_keys=True, separators=(",", ":")), *lines[1:]])
    for old, new in TEMPLATED:
        text = text.replace(old, new)
    left = [line[:200] for line in text.splitlines() if "zzq" in line.lower()]
    if left or "{%" in text or "{#" in text:
        raise SystemExit(f"cannot template the cassette; rendered names left: {left}")
    return text + "\n"


def main(argv: list[str]) -> int:
    for template in argv or [t for t in builtin_names() if t in CALLS]:
        print(f"{template}: {record(template)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
