"""Every default email template in every language, rendered into the brand layout from the sample
snapshot and loaded in headless Chromium at phone (375 px) and desktop (800 px) widths: no
variable left unrendered and nothing wider than the window. ``UPDATE_SCREENSHOTS=1`` also writes
the README's two pictures into docs/screenshots/."""

import base64
import os
import shutil
from pathlib import Path

import pytest

from catalogue.copy import LANGUAGES, load_copy
from catalogue.email_layout import QR_TYPES, qr_png, render_layout
from catalogue.rendering import render_string, sample_context_for
from catalogue.shipped import TYPES

CHROMIUM = "/usr/bin/chromium"
WIDTHS = (375, 800)
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
CATEGORY = {key: category for key, _name, category, *_ in TYPES}
# The journeys' emails (the transactional types' copy is checked in tests/notifications/test_copy_files.py).
DEFAULT_TEMPLATES = {
    key: copy for key, copy in load_copy().items() if CATEGORY.get(key) in ("shipping", "backorder", "returns")
}

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not Path(CHROMIUM).exists() and not shutil.which("chromium"),
        reason="needs Debian's chromium at /usr/bin/chromium (apt-get install chromium; .ci/run does)",
    ),
]


def rendered_email(type_key: str, language: str) -> str:
    """The full email as a mail client shows it (the inline QR image as a data URI)."""
    context = sample_context_for(type_key, CATEGORY[type_key], language)
    source = DEFAULT_TEMPLATES[type_key]["email"][language]
    code = context.get("return", {}).get("code", "") if type_key in QR_TYPES else ""
    qr_src = "data:image/png;base64," + base64.b64encode(qr_png(code)).decode() if code else ""
    return render_layout(
        fragment=render_string(source["body_html"], context, html=True),
        subject=render_string(source["subject"], context),
        preheader=render_string(source["preheader"], context),
        brand=context["brand"],
        language=language,
        links=context["links"],
        return_code=code,
        qr_src=qr_src,
    )


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM if Path(CHROMIUM).exists() else shutil.which("chromium"),
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield chromium
        chromium.close()


def test_every_email_template_renders_without_leftovers_or_overflow(browser, tmp_path):
    problems = []
    pages = {width: browser.new_page(viewport={"width": width, "height": 900}) for width in WIDTHS}
    # Remote images (a product photo) cannot load here; block them rather than wait.
    for page in pages.values():
        page.route("http*://**", lambda route: route.abort())
    checked = 0
    for type_key in DEFAULT_TEMPLATES:
        for language in LANGUAGES:
            html = rendered_email(type_key, language)
            for width, page in pages.items():
                page.set_content(html, wait_until="load")
                text = page.inner_text("body")
                if "{{" in text or "{%" in text or "{{" in html:
                    problems.append(f"{type_key}/{language}: unrendered template syntax")
                scroll, inner = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
                if scroll > inner:
                    problems.append(f"{type_key}/{language} at {width}px: {scroll}px wide")
                if type_key == "shipment_shipped" and language == "en":
                    page.screenshot(path=str(tmp_path / f"email-shipped-{width}.png"), full_page=True)
                checked += 1
    assert checked == len(DEFAULT_TEMPLATES) * len(LANGUAGES) * len(WIDTHS)
    assert not problems, "\n".join(problems)
    if os.environ.get("UPDATE_SCREENSHOTS") == "1":
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        for width in WIDTHS:
            shutil.copy(tmp_path / f"email-shipped-{width}.png", SCREENSHOTS / f"email-shipped-{width}.png")
