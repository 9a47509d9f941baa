"""Shared test configuration: where the repository and ../shared live."""

from __future__ import annotations

import os
import shutil
import signal
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SHARED = (REPO.parent / "shared").resolve()
CONTRACT = SHARED / "reference" / "wire-contract.json"
CONFORMANCE = SHARED / "conformance"
PARROT = REPO / "tests" / "fixtures" / "parrot_plugin"


def pytest_configure(config: pytest.Config) -> None:
    """A suite started as a background job (``./scripts/test &``) inherits an ignored SIGINT,
    and so would every process the tests start: a test that interrupts a child (as Ctrl-C
    does) would wait in vain. Python handlers become the default on exec, so restoring ours
    gives every child the default again."""
    if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO


@pytest.fixture(scope="session")
def contract_path() -> Path:
    if not CONTRACT.is_file():
        pytest.skip(f"the wire contract is not here ({CONTRACT}); it lives in ../shared/reference")
    return CONTRACT


@pytest.fixture()
def parrot_plugin(tmp_path: Path) -> Path:
    """A private copy of the parrot sample plugin (tests may edit it)."""
    target = tmp_path / "parrot"
    shutil.copytree(PARROT, target, ignore=shutil.ignore_patterns(".mmplug", "__pycache__"))
    return target


@pytest.fixture(scope="session", autouse=True)
def _private_world_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Seeded-world images (mmplug.host.world_cache) go to a folder of this test run, not to
    the user's cache; processes the tests start inherit it."""
    before = os.environ.get("MMPLUG_CACHE_DIR")
    os.environ["MMPLUG_CACHE_DIR"] = str(tmp_path_factory.mktemp("world-cache"))
    yield
    if before is None:
        os.environ.pop("MMPLUG_CACHE_DIR", None)
    else:
        os.environ["MMPLUG_CACHE_DIR"] = before


def _processes_in(folder: Path) -> set[int]:
    """Live (not zombie) processes whose working directory is ``folder``."""
    found: set[int] = set()
    for entry in Path("/proc").iterdir():
        try:
            if not entry.name.isdigit() or Path(os.readlink(entry / "cwd")) != folder.resolve():
                continue
            if (entry / "stat").read_text().rsplit(")", 1)[1].split()[0] != "Z":
                found.add(int(entry.name))
        except OSError:  # gone meanwhile, or not ours
            continue
    return found


def _left_in(folder: Path) -> set[int]:
    import time

    deadline = time.monotonic() + 5
    while _processes_in(folder) and time.monotonic() < deadline:
        time.sleep(0.05)
    return _processes_in(folder)


@pytest.fixture()
def left_in() -> Callable[[Path], set[int]]:
    """``left_in(folder)``: the processes still working in ``folder`` (a plugin's directory:
    its processes and the warm spares waiting to become one) once a SIGKILL had time to land;
    empty when a run left nothing behind."""
    return _left_in
