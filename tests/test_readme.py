"""The README's plugin example runs under the fake host and does what it says."""

from __future__ import annotations

import re
import sys
from pathlib import Path

from plugin_projects import write_plugin_project

from mmplug.host.session import Session


def test_readme_plugin_example_works(repo_root: Path, tmp_path: Path) -> None:
    readme = (repo_root / "README.md").read_text()
    code = re.search(r"```python\n(.*?)```", readme, re.S)
    assert code is not None
    write_plugin_project(tmp_path, "com.example.hello", code.group(1), name="Hello",
                         runtime=True)
    with Session([tmp_path], store=":memory:", python=sys.executable) as session:
        assert session.plugin().implemented == sorted(
            ["ExecuteCommand", "MessageWillBePosted", "OnActivate"])
        answer = session.fire("ExecuteCommand", args={"command": "/hello"})
        assert answer.response.response.text == "Hello!"
        rejected = session.fire("MessageWillBePosted", post={"message": "a badword"})
        assert rejected.response.rejection_reason.startswith("Message blocked")
        allowed = session.fire("MessageWillBePosted", post={"message": "fine"})
        assert allowed.response.rejection_reason == ""
