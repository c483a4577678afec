"""Take the README's screenshots from a running demo (`make run`), in Debian's chromium.

    .venv/bin/python tools/screenshots.py [BASE_URL]

Signs in as the demo's État civil agent, opens the queue and the busiest case; as the supervisor,
the wallboard; on the portal, the request form and the assistant answering a question; as the town's
administrator, the triage quality page.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

OUT = Path(__file__).resolve().parent.parent / "docs" / "img"
PASSWORD = "demo-guichet-2026"  # noqa: S105 — the demo's published password
QUESTION = "Quels documents faut-il pour refaire une carte d'identité perdue ?"
SHOTS = (
    "desk-queue.png",
    "desk-case.png",
    "wallboard.png",
    "portal-request.png",
    "portal-assistant.png",
    "triage-quality.png",
)


def main() -> int:
    base = (sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8000").rstrip("/")
    chromium = shutil.which("chromium")
    if chromium is None:
        sys.stderr.write("Debian's chromium is needed (apt-get install chromium)\n")
        return 1
    OUT.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium, args=["--disable-gpu", "--disable-background-networking"]
        )
        page = browser.new_page(viewport={"width": 1366, "height": 800}, locale="fr-FR")
        page.goto(f"{base}/desk/")
        page.fill("#id_username", "claire.etatcivil")
        page.fill("#id_password", PASSWORD)
        page.click("main button[type=submit]")
        page.wait_for_url(f"{base}/desk/")
        page.screenshot(path=OUT / "desk-queue.png")
        page.goto(f"{base}/desk/?status=all&sort=created")
        page.locator("tbody th[scope=row] a").first.click()
        page.wait_for_load_state()
        # The suggestions panel loads after the page (the first search of a process is slow).
        page.wait_for_selector("#suggestions [aria-busy=true]", state="detached", timeout=60_000)
        page.screenshot(path=OUT / "desk-case.png")
        supervisor = browser.new_page(viewport={"width": 1366, "height": 900}, locale="fr-FR")
        supervisor.goto(f"{base}/desk/")
        supervisor.fill("#id_username", "superviseur")
        supervisor.fill("#id_password", PASSWORD)
        supervisor.click("main button[type=submit]")
        supervisor.wait_for_url(f"{base}/desk/")
        supervisor.goto(f"{base}/supervision/")
        supervisor.screenshot(path=OUT / "wallboard.png")
        portal = browser.new_page(viewport={"width": 1100, "height": 800}, locale="fr-FR")
        portal.goto(f"{base}/portail/villebois/demande/")
        portal.screenshot(path=OUT / "portal-request.png")
        portal.goto(f"{base}/portail/villebois/aide/")
        portal.fill("textarea[name=question], input[name=question]", QUESTION)
        portal.locator("form:has([name=question]) button[type=submit]").click()
        portal.wait_for_selector(".turn-assistant", timeout=60_000)
        portal.screenshot(path=OUT / "portal-assistant.png")
        admin = browser.new_page(viewport={"width": 1280, "height": 900}, locale="fr-FR")
        admin.goto(f"{base}/admin/login/?next=/admin/assist/assistsettings/quality/")
        admin.fill("#id_username", "mairie.admin")
        admin.fill("#id_password", PASSWORD)
        admin.click("input[type=submit]")
        admin.wait_for_url("**/quality/")
        admin.screenshot(path=OUT / "triage-quality.png")
        browser.close()
    for name in SHOTS:
        sys.stdout.write(f"{OUT / name}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
