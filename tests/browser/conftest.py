"""Browser fixtures: the app with the demo office, served on a free port, driven by headless Chromium.

The live server runs once per session on a copy of the migrated SQLite template (never
parametrised over engines: the browser checks the pages, the engine tests live elsewhere).
Debian's chromium is used because Playwright's own browser download is not possible here.
"""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from supervision import create_app
from supervision.extensions import db

CHROMIUM = Path("/usr/bin/chromium")
# Without the background-networking flags Chromium hangs on the refused connections of an offline machine.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def pytest_collection_modifyitems(items):
    here = Path(__file__).parent
    for item in items:
        if here in item.path.parents:
            item.add_marker(pytest.mark.browser)


@contextmanager
def serving_demo_office(template: Path, folder: Path, **config) -> Iterator[tuple[str, object]]:
    """A real server on a free port: a copy of the migrated template with the demo office loaded.
    Yields (base URL, app); ``config`` adds settings (e.g. SEARCH_ENABLED=True)."""
    database = folder / "live.sqlite3"
    shutil.copyfile(template, database)
    instance = folder / "instance"
    instance.mkdir()
    os.environ["SUPERVISION_INSTANCE_PATH"] = str(instance)
    try:
        app = create_app({"TESTING": True, "SECRET_KEY": "browser-test-secret",
                          "SQLALCHEMY_DATABASE_URI": f"sqlite:///{database}", "RATELIMIT_ENABLED": False,
                          **config})
    finally:
        os.environ.pop("SUPERVISION_INSTANCE_PATH", None)
    with app.app_context():
        from supervision import demo

        demo.load(db.session, app.config)
        db.session.commit()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", app
    finally:
        server.shutdown()
        thread.join(timeout=10)
        with app.app_context():
            db.engine.dispose()


@pytest.fixture(scope="session")
def serve_demo_office():
    """For a test module that needs a server of its own (other settings): ``serving_demo_office``."""
    return serving_demo_office


LIVE_APPS: dict[str, object] = {}  # base URL -> the app serving it (a journey that runs the sweep in-process)


@pytest.fixture(scope="session")
def live_server(sqlite_template, tmp_path_factory):
    with serving_demo_office(sqlite_template, tmp_path_factory.mktemp("live")) as (url, app):
        LIVE_APPS[url] = app
        yield url
        LIVE_APPS.pop(url, None)


@pytest.fixture
def live_app(live_server):
    """The application behind ``live_server`` (same process): for steps that are no page, such as the sweep."""
    return LIVE_APPS[live_server]


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        reason = f"{CHROMIUM} not found: install Debian's chromium (apt-get install chromium fonts-noto-cjk)"
        if os.environ.get("SUPERVISION_REQUIRE_BROWSER") or os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def _page_in_fresh_context(browser, base_url: str, **options):
    context = browser.new_context(base_url=base_url, locale="zh-CN", **options)
    context.set_default_timeout(10_000)
    return context, context.new_page()


@pytest.fixture
def page(browser, live_server):
    context, page = _page_in_fresh_context(browser, live_server, viewport=DESKTOP)
    yield page
    context.close()


@pytest.fixture
def phone_page(browser, live_server):
    context, page = _page_in_fresh_context(browser, live_server, viewport=PHONE, is_mobile=True,
                                           has_touch=True, device_scale_factor=3)
    yield page
    context.close()


def log_in(page, base_url: str, username: str, password: str | None = None):
    from supervision.demo import DEMO_PASSWORD

    page.goto("/login")
    page.get_by_label("用户名", exact=True).fill(username)
    page.get_by_label("密码", exact=True).fill(password or DEMO_PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{base_url}/")
    return page


@pytest.fixture
def login_as(live_server):
    return lambda page, username, password=None: log_in(page, live_server, username, password)


@pytest.fixture
def desk_server(live_server):
    """The server ``desk`` pages open on; a test module may override it (the search tests do)."""
    return live_server


@pytest.fixture
def desk(browser, desk_server):
    """desk(username) -> a page logged in as that user, in a browser context of its own, so that
    several people can work side by side in one test."""
    contexts = []

    def open_desk(username: str):
        context, page = _page_in_fresh_context(browser, desk_server, viewport=DESKTOP, accept_downloads=True)
        contexts.append(context)
        return log_in(page, desk_server, username)

    yield open_desk
    for context in contexts:
        context.close()


@pytest.fixture
def screenshot():
    """Write docs/screenshots/<name>.png, only when SUPERVISION_SCREENSHOTS=1 (CI keeps the tree clean)."""

    def take(page, name: str) -> Path | None:
        if os.environ.get("SUPERVISION_SCREENSHOTS") != "1":
            return None
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path))
        return path

    return take
