"""The Python examples in docs/sdk.md run."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

DOC = Path(__file__).resolve().parents[2] / "docs" / "sdk.md"
BLOCKS = re.findall(r"```python\n(.*?)```", DOC.read_text(), re.S) if DOC.is_file() else []


@pytest.mark.skipif(not BLOCKS, reason="docs/sdk.md has no python examples")
@pytest.mark.parametrize("index", range(len(BLOCKS)))
def test_example_runs(index: int) -> None:
    code = compile(BLOCKS[index], f"{DOC}:example{index + 1}", "exec")
    exec(code, {"__name__": f"docs_example_{index}"})
