"""Photos from a phone in the browser: a resident attaches a picture while reporting (the
camera's file input), it is uploaded before the report is sent and shows as a thumbnail on
the issue page (one too large for the service is redrawn smaller first); a community
worker's progress note carries a photo into the timeline."""

from __future__ import annotations

import re
import uuid

from playwright.sync_api import Page, expect

from tests.browser.conftest import shot
from tests.utils.images import noisy_png, png

HEPING = "km.guandu.taihe.heping"
Y017 = f"{HEPING}.g03.y017"


def attach(form, name: str, image: bytes) -> None:
    form.locator(".photo-file").set_input_files(
        {"name": name, "mimeType": "image/png", "buffer": image})


def test_a_photo_taken_while_reporting_shows_on_the_issue_and_its_progress(page_as) -> None:
    title = f"井盖缺失 {uuid.uuid4().hex[:6]}"
    page: Page = page_as("resident", HEPING, sub=f"r-photo-{uuid.uuid4().hex[:6]}", phone=True)
    page.goto("/report")
    form = page.locator("#report-form")
    expect(form.locator(".photo-file")).to_have_attribute("capture", "environment")
    attach(form, "manhole.png", png(40, 30))
    thumb = form.locator(".thumbs img.thumb")
    expect(thumb).to_have_count(1)
    expect(thumb).to_have_js_property("naturalWidth", 40)  # the service served it back
    expect(form.locator("[name=photos]")).to_have_value(re.compile(r"^/v1/photos/\S{32}$"))
    # A photo over the service's 5 MB is redrawn in the browser, 2048 px on its long side.
    big = noisy_png(2500, 1000)
    assert len(big) > 5 * 1024 * 1024
    attach(form, "large.png", big)
    expect(thumb).to_have_count(2)
    expect(thumb.nth(1)).to_have_js_property("naturalWidth", 2048)
    expect(form.locator("[name=photos]")).to_have_value(
        re.compile(r"^/v1/photos/\S{32}\n/v1/photos/\S{32}$"))
    form.locator("[name=node]").select_option(Y017)
    form.locator("[name=category]").select_option("environment.littering")
    form.locator("[name=title]").fill(title)
    shot(page, "issues-resident-report-photo")
    form.locator("button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/issues/[0-9a-f-]{36}$"))
    issue_url = page.url
    shown = page.locator(".photos img.thumb").first
    expect(shown).to_have_js_property("naturalWidth", 40)

    staff: Page = page_as("community_staff", HEPING, sub="c-photo-browser", name="周敏")
    staff.goto(issue_url)
    expect(staff.locator("#issue-title")).to_have_text(title)
    expect(staff.locator(".photos img.thumb").first).to_have_js_property("naturalWidth", 40)
    staff.locator("#ack-form button[type=submit]").click()
    expect(staff.locator(".issue")).to_have_attribute("data-status", "acknowledged")
    progress = staff.locator("#progress-form")
    progress.locator("[name=note]").fill("已设置围挡")
    attach(progress, "fenced.png", png(24, 24, rgb=(0, 128, 0)))
    expect(progress.locator(".thumbs img.thumb")).to_have_count(1)
    progress.locator("button[type=submit]").click()
    entry = staff.locator(".timeline li", has_text="已设置围挡")
    expect(entry.locator("img.thumb")).to_have_js_property("naturalWidth", 24)
    shot(staff, "issues-progress-photo")
