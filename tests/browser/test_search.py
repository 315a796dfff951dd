"""全文检索 in a real browser, on the demo office after `flask search reindex`: a department head finds
only what is addressed to their department (every hit opens), office staff find more, and the
matched words are marked in the snippets.

The shared live server runs with search off (TESTING); this module serves its own copy with it on.
"""

from __future__ import annotations


import pytest
from playwright.sync_api import expect


@pytest.fixture(scope="module")
def search_server(sqlite_template, tmp_path_factory, serve_demo_office):
    with serve_demo_office(sqlite_template, tmp_path_factory.mktemp("search-live"), SEARCH_ENABLED=True) as (url, app):
        result = app.test_cli_runner().invoke(args=["search", "reindex"])  # as after `flask demo-data`
        assert result.exit_code == 0, result.output
        yield url


@pytest.fixture
def desk_server(search_server):
    return search_server


def search_for(page, text: str):
    page.get_by_role("link", name="全文检索").click()
    page.get_by_label("检索词").fill(text)
    page.get_by_role("button", name="检索").click()
    expect(page.locator("#results")).to_be_visible()


def hit_links(page) -> list[str]:
    return page.locator("ol.search-results > li h2 a").evaluate_all("links => links.map(a => a.getAttribute('href'))")


def test_department_head_finds_only_what_is_addressed_to_the_department(desk, screenshot):
    head = desk("depthead")
    search_for(head, "窗口")
    expect(head.locator("#result-count")).to_contain_text("找到")
    expect(head.locator("ol.search-results mark").first).to_have_text("窗口")
    links = hit_links(head)
    assert links and all(href.startswith(("/matters/", "/rectification/")) for href in links)
    screenshot(head, "search-department")

    for href in links:  # every hit opens: nothing of another department, no talk record
        response = head.request.get(href)
        assert response.status == 200, href

    office = desk("supervisor")
    search_for(office, "窗口")
    office_total = int(office.locator("#result-count").inner_text().split()[1])
    head_total = int(head.locator("#result-count").inner_text().split()[1])
    assert office_total > head_total
    screenshot(office, "search")
