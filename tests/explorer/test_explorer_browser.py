"""The explorer in a real browser (headless Chromium): what a newcomer does with the page."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.slow


def _post(page: Any, text: str) -> None:
    box = page.locator("#message")
    box.fill(text)
    box.press("Enter")


def test_post_as_alice_and_see_the_bots_thread_reply(page: Any) -> None:
    assert page.locator("#chat-user option:checked").inner_text() == "alice"
    _post(page, "good morning @bot-bot")
    reply = page.locator("#posts .post.reply", has_text="I have seen")
    reply.first.wait_for()
    assert "BOT" in reply.first.inner_text()
    page.locator("#posts .post", has_text="good morning @bot-bot").get_by_role(
        "button", name="Reply in thread").click()
    thread = page.locator("#thread-posts")
    thread.locator(".post", has_text="I have seen").wait_for()
    assert "good morning @bot-bot" in thread.locator(".post").first.inner_text()


def test_slash_command_with_autocomplete_answers_only_alice(page: Any) -> None:
    # a post everyone sees: bob's view below has loaded once it shows (whatever ran before)
    _post(page, "before the command")
    page.locator("#posts .post", has_text="before the command").wait_for()
    box = page.locator("#message")
    box.fill("/cmd")
    page.locator("#command-list li", has_text="/cmd-plugin").wait_for()
    box.press("Tab")  # keyboard: the suggestion is taken
    assert box.input_value() == "/cmd-plugin "
    box.type("echo just between us")
    box.press("Enter")
    mine = page.locator("#posts .post.ephemeral", has_text="just between us")
    mine.wait_for()
    assert "only visible to you" in mine.inner_text()
    page.locator("#chat-user").select_option(label="bob")
    page.wait_for_function("document.querySelector('#chat-user').value !== ''")
    page.locator("#posts .post.ephemeral", has_text="just between us").wait_for(state="detached")
    page.locator("#posts .post", has_text="before the command").wait_for()  # bob's view
    page.locator("#chat-user").select_option(label="alice")


def test_edit_a_recorded_call_and_fire_it_again(page: Any) -> None:
    _post(page, "a calm message")
    page.locator("#posts .post", has_text="a calm message").wait_for()
    page.get_by_role("tab", name="Trace").click()
    page.locator("#f-hook").select_option("MessageWillBePosted")
    page.locator("#f-text").fill("a calm message")
    row = page.locator("#trace-rows tr", has_text="MessageWillBePosted").first
    row.wait_for()
    row.get_by_role("button").click()
    page.get_by_role("button", name="Edit and fire again").click()
    editor = page.get_by_label("The request, as JSON")
    editor.fill(editor.input_value().replace("a calm message", "a badword message"))
    page.get_by_role("button", name="Fire", exact=True).click()
    fired = page.locator("[aria-label='re-fired']")
    fired.wait_for()
    assert "rejected: Message blocked" in fired.inner_text()
    assert "a calm message" in page.locator("[aria-label='original']").inner_text()


def test_keep_two_calls_as_a_cassette_that_replays(page: Any, projects: dict[str, Path]) -> None:
    for text in ("kept one", "kept two"):
        _post(page, text)
        page.locator("#posts .post", has_text=text).wait_for()
    page.get_by_role("tab", name="Trace").click()
    page.locator("#f-hook").select_option("MessageWillBePosted")
    page.locator("#f-text").fill("kept ")
    rows = page.locator("#trace-rows tr", has_text="com.example.bot")
    page.wait_for_function("document.querySelectorAll('#trace-rows tr').length >= 2")
    for index in range(2):
        rows.nth(index).get_by_role("checkbox").check()
    page.locator("#keep-name").fill("from-browser")
    page.get_by_role("button", name="Save").click()
    notice = page.locator("#notice")
    notice.wait_for()
    assert "fixtures/cassettes/from-browser.jsonl" in notice.inner_text()
    project = projects["bot"]
    replay = subprocess.run([sys.executable, "-m", "mmplug.cli.main", "replay",
                             "fixtures/cassettes/from-browser.jsonl", str(project), "--check",
                             "--python", sys.executable], cwd=project, capture_output=True,
                            text=True, timeout=120, env={**os.environ, "NO_COLOR": "1"})
    assert replay.returncode == 0, replay.stdout + replay.stderr


def test_edit_a_kv_value_and_the_plugin_reads_it(page: Any) -> None:
    page.get_by_role("tab", name="State").click()
    page.locator("#state-body select").first.select_option("com.example.bot")
    # typed into the bot's view once it shows (the key may be there already: an earlier test
    # blocked a message, so the saved value is what tells that the edit took)
    page.locator("#state-body[data-shows='kv:com.example.bot']").wait_for()
    page.get_by_label("new key", exact=True).fill("stats:blocked")
    page.get_by_label("new value", exact=True).fill("77")
    page.get_by_role("button", name="Add").click()
    from playwright.sync_api import expect

    saved = page.locator("#state-body[data-shows='kv:com.example.bot'] "
                         "tr[data-key='stats:blocked'] textarea")
    expect(saved).to_have_value("77", timeout=20_000)
    page.get_by_role("tab", name="Chat").click()
    _post(page, "how many @bot-bot")
    page.locator("#posts .post.reply", has_text="blocked 77.").wait_for()


def test_a_page_without_the_token_is_refused(browser_context: Any, live: Any) -> None:
    page = browser_context.new_page()
    try:
        browser_context.clear_cookies()
        response = page.goto(live.explorer.url + "/")
        assert response is not None and response.status == 401
        assert "?token=" in page.content()
        reset = page.request.post(live.explorer.url + "/api/state/reset")
        assert reset.status == 401
        page.goto(live.explorer.login_url)  # the printed URL lets the browser in again
        page.wait_for_selector("body[data-ready='1']")
        assert "token=" not in page.url  # the token left the address bar
    finally:
        page.close()
