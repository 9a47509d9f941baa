"""Re-make the screenshots of docs/explorer.md (docs/explorer/*.png): run this after changing a
view of the Plugin Explorer, then commit the pictures.

    .venv/bin/python scripts/explorer_screenshots.py

Renders the bot and slash-command templates into a temporary folder, runs them as `mmplug dev`
does with the explorer on, chats a little, and photographs each view with the same headless
Chromium the tests drive (the system's /usr/bin/chromium). Writes only docs/explorer/.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
OUT = REPO / "docs" / "explorer"
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SIZE = {"width": 1280, "height": 720}


def main() -> None:
    from playwright.sync_api import sync_playwright

    from mmplug.devloop.loop import DevLoop
    from mmplug.scaffold._create import create_project

    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="mmplug-shots-") as tmp:
        work = Path(tmp)
        create_project("com.example.bot", template="bot", parent=work)
        create_project("com.example.cmd", template="slash-command", parent=work)
        loop = DevLoop([work / "com.example.bot", work / "com.example.cmd"], port=0,
                       store=":memory:", python=sys.executable, watch=False, warm=False,
                       control=False, explorer=True, explorer_port=0)
        with loop, sync_playwright() as playwright:
            context = playwright.chromium.launch_persistent_context(
                str(work / "profile"), executable_path=CHROMIUM, headless=True, args=ARGS,
                viewport=SIZE)
            page = context.new_page()
            page.goto(loop.explorer.login_url)
            page.wait_for_selector("body[data-ready='1']")
            for text in ("Good morning! Who is on call today?", "hey @bot-bot, how busy is it?",
                         "/cmd-plugin echo a note for me"):
                page.fill("#message", text)
                page.press("#message", "Enter")
                page.wait_for_timeout(400)
            page.locator("#posts .post.reply", has_text="I have seen").first.wait_for()
            page.locator("#posts .post", has_text="hey @bot-bot").get_by_role(
                "button", name="Reply in thread").click()
            page.wait_for_timeout(300)
            page.screenshot(path=str(OUT / "chat.png"))
            page.get_by_role("tab", name="Trace").click()
            row = page.locator("#trace-rows tr", has_text="MessageHasBeenPosted").first
            row.wait_for()
            row.get_by_role("button").click()
            page.locator("#trace-detail h3", has_text="Timings").wait_for()
            page.screenshot(path=str(OUT / "trace.png"))
            page.get_by_role("button", name="Edit and fire again").click()
            page.get_by_label("The request, as JSON").wait_for()
            page.screenshot(path=str(OUT / "refire.png"))
            page.get_by_role("tab", name="State").click()
            page.locator("#state-body select").first.select_option("com.example.bot")
            page.locator("#state-body tr[data-key='stats:seen']").wait_for()
            page.screenshot(path=str(OUT / "state.png"))
            page.locator("[data-state='settings']").click()
            page.locator("#state-body .setting").first.wait_for()  # the bot's, picked above
            page.screenshot(path=str(OUT / "settings.png"))
            page.get_by_role("tab", name="HTTP").click()
            page.wait_for_timeout(300)
            page.screenshot(path=str(OUT / "http.png"))
            context.close()
    for shot in sorted(OUT.glob("*.png")):
        print(f"{shot.relative_to(REPO)}: {shot.stat().st_size / 1024:.0f} KiB")


if __name__ == "__main__":
    main()
