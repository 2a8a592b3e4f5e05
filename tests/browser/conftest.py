"""The console in a real browser: Debian's chromium driven by Playwright (its own browser
download cannot reach its host here), against one `gongzhi up` of the demo city shared by
every browser test. Each screen a test visits is saved under test-artifacts/screens/."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright

from shared import auth
from shared.sessions import COOKIE
from tests.utils.platform import RunningPlatform, gongzhi_up

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screens"
PHONE = {"width": 390, "height": 844}
# expect()'s 5 s default is short on a shared two-core machine where a page's answer waits
# behind other people's test runs; an assertion that holds passes as soon as it holds.
expect.set_options(timeout=15_000)
DESKTOP = {"width": 1366, "height": 900}
SESSION_TOKEN_SECONDS = 45


@pytest.fixture(scope="session")
def console(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningPlatform]:
    # Session tokens live SESSION_TOKEN_SECONDS, not the 5 minutes of a real platform: the
    # console's refresh runs in every sign-in test, and the sign-out test waits a copied
    # token out in under a minute. Not shorter: the page renews at a third of the lifetime,
    # and on a loaded CI machine a renewal can come many seconds late.
    with gongzhi_up(tmp_path_factory.mktemp("console"),
                    GONGZHI_SESSION_TOKEN_SECONDS=str(SESSION_TOKEN_SECONDS)) as gz:
        yield gz


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    executable = shutil.which("chromium")
    assert executable, "Debian's chromium is missing: `make test` installs it with apt-get"
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=executable, args=["--no-sandbox"])
        yield b
        b.close()


def session_token(gz: RunningPlatform, role: str, scope: str, *, sub: str | None = None,
                  department: str | None = None, name: str = "") -> tuple[str, str]:
    """A console session as sign-in would make it: the platform's own secret, a csrf claim."""
    secret = json.loads((gz.home / "secrets.json").read_text())["jwt_secret"]
    csrf = f"csrf-{role}-{scope}"
    token = auth.mint(secret, sub=sub or f"{role}@{scope}", role=role, scope=scope, name=name,
                      department=department, csrf=csrf)
    return token, csrf


@pytest.fixture
def page_as(console: RunningPlatform, browser: Browser) -> Iterator[Callable[..., Page]]:
    """page_as(role, scope, department=None, sub=None, phone=False) → a signed-in page."""
    contexts: list[BrowserContext] = []

    def open_page(role: str | None = None, scope: str = "km", *, department: str | None = None,
                  sub: str | None = None, name: str = "", phone: bool = False) -> Page:
        context = browser.new_context(viewport=PHONE if phone else DESKTOP, locale="zh-CN",
                                      base_url=console.url("console"))
        contexts.append(context)
        if role:
            token, _ = session_token(console, role, scope, sub=sub, department=department,
                                     name=name)
            context.add_cookies([{"name": COOKIE, "value": token,
                                  "url": console.url("console"), "httpOnly": True,
                                  "sameSite": "Strict"}])
        page = context.new_page()
        page.set_default_timeout(15000)
        return page

    yield open_page
    for c in contexts:
        c.close()


def shot(page: Page, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
