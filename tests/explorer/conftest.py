"""The explorer's fixtures: a dev session of the bot and slash-command templates (and a plugin
that opens a dialog) with the explorer on, an HTTP client with or without the token, and a
headless Chromium driven by Playwright (the system's ``/usr/bin/chromium``, never a download).
Everything is written under pytest's temporary folders."""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from explorer_support import Client, make_dialog_plugin

CHROMIUM = os.environ.get("MMPLUG_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
@pytest.fixture(scope="session")
def templates_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bot and slash-command templates rendered once (copied per module)."""
    from mmplug.scaffold._create import create_project

    parent = tmp_path_factory.mktemp("templates")
    create_project("com.example.bot", template="bot", parent=parent)
    create_project("com.example.cmd", template="slash-command", parent=parent)
    make_dialog_plugin(parent / "com.example.dialog")
    return parent


@pytest.fixture(scope="module")
def projects(templates_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    target = tmp_path_factory.mktemp("projects")
    return {name: Path(shutil.copytree(templates_dir / f"com.example.{name}",
                                       target / f"com.example.{name}"))
            for name in ("bot", "cmd", "dialog")}


@pytest.fixture(scope="module")
def live(projects: dict[str, Path]) -> Iterator[Any]:
    """``mmplug dev`` of the three plugins, the explorer on (any free ports)."""
    from mmplug.devloop.loop import DevLoop

    loop = DevLoop([projects["bot"], projects["cmd"], projects["dialog"]], port=0,
                   store=":memory:", python=sys.executable, watch=False, warm=False,
                   control=False, explorer=True, explorer_port=0)
    with loop:
        yield loop


@pytest.fixture(scope="module")
def client(live: Any) -> Client:
    return Client(live.explorer)


@pytest.fixture(scope="module")
def browser_context(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """A headless Chromium (the system's) with a fresh profile."""
    if not Path(CHROMIUM).is_file():
        pytest.fail(f"the browser tests need Chromium at {CHROMIUM}: install it with "
                    "`apt-get install -y chromium` (./scripts/test does, as root)")
    from playwright.sync_api import sync_playwright

    profile = tmp_path_factory.mktemp("chromium-profile")
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(profile), executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield context
        finally:
            context.close()


@pytest.fixture()
def page(browser_context: Any, live: Any) -> Iterator[Any]:
    page = browser_context.new_page()
    page.set_default_timeout(20_000)
    page.goto(live.explorer.login_url)
    page.wait_for_selector("body[data-ready='1']")
    yield page
    page.close()
