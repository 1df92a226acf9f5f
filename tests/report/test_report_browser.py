"""The report in a real headless browser: no console errors, every figure decoded and shown."""

import shutil

import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed (apt-get install -y chromium)")
def test_report_loads_in_chromium_with_every_image_shown(report_index):
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright (pip) drives the system chromium")
    index = report_index
    problems = []
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page()
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: problems.append(str(e)))
        page.on("requestfailed", lambda r: problems.append(f"failed: {r.url}"))
        page.goto(index.as_uri(), wait_until="load")
        images = page.evaluate(
            "Array.from(document.images).map(i => ({src: i.getAttribute('src'), ok: i.complete && i.naturalWidth > 0}))")
        details = page.locator("details").count()
        browser.close()
    assert problems == []
    assert len(images) >= 4 and all(i["ok"] for i in images), images
    assert details >= 9  # a sample-browser entry per checkpoint
