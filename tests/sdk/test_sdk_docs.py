"""The Python examples in docs/sdk.md and docs/async.md run."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[2] / "docs"
BLOCKS = [(doc, block) for doc in (DOCS / "sdk.md", DOCS / "async.md") if doc.is_file()
          for block in re.findall(r"```python\n(.*?)```", doc.read_text(), re.S)]


@pytest.mark.skipif(not BLOCKS, reason="the SDK docs have no python examples")
@pytest.mark.parametrize("index", range(len(BLOCKS)))
def test_example_runs(index: int) -> None:
    doc, block = BLOCKS[index]
    code = compile(block, f"{doc}:example{index + 1}", "exec")
    exec(code, {"__name__": f"docs_example_{index}"})
