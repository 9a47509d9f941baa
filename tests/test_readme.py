"""The README's plugin example runs under the fake host and does what it says."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

from mmplug.host.session import Session


def test_readme_plugin_example_works(repo_root: Path, tmp_path: Path) -> None:
    readme = (repo_root / "README.md").read_text()
    code = re.search(r"```python\n(.*?)```", readme, re.S)
    assert code is not None
    (tmp_path / "plugin.py").write_text(code.group(1))
    (tmp_path / "plugin.json").write_text(json.dumps({
        "id": "com.example.hello", "name": "Hello", "version": "0.1.0",
        "server": {"executable": "plugin.py", "runtime": "python"}}))
    with Session([tmp_path], store=":memory:", python=sys.executable) as session:
        assert session.plugin().implemented == sorted(
            ["ExecuteCommand", "MessageWillBePosted", "OnActivate"])
        answer = session.fire("ExecuteCommand", args={"command": "/hello"})
        assert answer.response.response.text == "Hello!"
        rejected = session.fire("MessageWillBePosted", post={"message": "a badword"})
        assert rejected.response.rejection_reason.startswith("Message blocked")
        allowed = session.fire("MessageWillBePosted", post={"message": "fine"})
        assert allowed.response.rejection_reason == ""
