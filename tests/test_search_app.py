"""Full-text search in the application, on a real index in the test's instance folder: kept in step
with the database through the change log written in each transaction (never for a rollback), scoped
by permission inside the query, the search page, the matter list's keyword filter, and the
`flask search` commands."""

from __future__ import annotations

import json
import logging
import re
from datetime import date

import pytest
from sqlalchemy import select

from matters_factories import signed_in
from supervision.matters import services as matter_services
from supervision.models.matters import Channel, Complainant, Matter, MatterKind
from supervision.models.talks import TalkKind
from supervision.search import service
from supervision.search.engine import SearchIndex

COMPLAINANT = "欧阳娜娜"
PHONE = "13912345678"
CONTENT = "来电人称其表哥在窗口工作，私下透露了审批内幕。"  # the complainant's own words: office only


@pytest.fixture(autouse=True)
def search_index(app) -> SearchIndex:
    """Search on (it is off under TESTING unless a test opts in), on a freshly built, empty index."""
    app.config["SEARCH_ENABLED"] = True
    service.rebuild()
    index = service.get_index()
    assert index.path.is_relative_to(app.instance_path)
    return index


def ids(index: SearchIndex, text: str, **scope) -> list[str]:
    """What a search on this server finds: it applies the change log first, as the pages do."""
    service.catch_up(index)
    scope.setdefault("departments", None)
    scope.setdefault("include_identity", True)
    return sorted(index.search_ids(text, **scope))


def page_text(response) -> str:
    """The visible text of a page (tags removed), to assert what a user would read."""
    return re.sub(r"<[^>]+>", "", response.get_data(as_text=True))


def results(response) -> str:
    """The results part of the search page (not the menu, not the box that repeats the query)."""
    html = response.get_data(as_text=True)
    return html[html.index('<section id="results"'):html.rindex("</section>")]


def find(app, user, text: str, **params):
    response = signed_in(app, user).get("/search/", query_string={"q": text, **params})
    assert response.status_code == 200, response.status_code
    return response


# --- kept in step with the database ---------------------------------------------------------------
def test_word_inside_a_longer_run_is_found_through_the_search_page(app, office, make_matter):
    matter = make_matter("assigned", summary="服务窗口工作人员态度生硬，推诿扯皮。")
    make_matter("assigned", title="道路破损", summary="人民路路面破损多日无人修复。", content="路面破损。")

    response = find(app, office.intake, "窗口")
    html = response.get_data(as_text=True)
    assert f'href="/matters/{matter.id}"' in html
    assert "<mark>窗口</mark>" in html
    assert "道路破损" not in html
    assert "找到 1 条结果" in page_text(response)


def test_a_rolled_back_save_is_not_indexed(app, session, office, make_matter, search_index):
    matter = make_matter("assigned", summary="群众反映窗口办事拖拉。")
    service.apply_pending()
    before = search_index.stored_versions()

    matter_services.update_summary(session, office.intake, matter, "新增摘要提到违规收费问题。", matter.version)
    matter_services.register_matter(session, office.intake, _input(title="从未保存的投诉"))
    session.flush()  # the rows reached the database inside the transaction …
    session.rollback()  # … which then rolled back

    session.commit()  # a later, unrelated commit must not pick up what was forgotten
    service.apply_pending()
    assert search_index.stored_versions() == before
    assert ids(search_index, "违规收费") == []
    assert ids(search_index, "从未保存") == []
    assert ids(search_index, "办事拖拉") == [f"matter:{matter.id}"]


def test_a_committed_change_is_searchable_right_after_the_commit(app, session, office, make_matter):
    matter = make_matter("assigned", summary="群众反映多次往返未办结。")
    matter_services.update_summary(session, office.intake, matter, "群众反映大厅叫号系统经常故障。", matter.version)
    session.commit()

    assert f'href="/matters/{matter.id}"' in results(find(app, office.head, "叫号系统"))
    assert "没有找到" in page_text(find(app, office.head, "多次往返"))  # the old summary is gone


def test_a_change_to_a_related_row_reindexes_its_matter(app, session, office, make_matter, search_index):
    matter = make_matter("in_progress")
    complainant = session.scalar(select(Complainant).where(Complainant.matter_id == matter.id))
    complainant.phone = "13700001111"  # only the complainant row changes
    session.commit()
    assert ids(search_index, "13700001111") == [f"matter:{matter.id}"]

    matter_services.submit_reply(session, office.head, matter.lead_assignment, "经核实，已对窗口人员批评教育。",
                                 "已整改。", expected_version=matter.version)
    session.commit()
    assert ids(search_index, "批评教育") == [f"matter:{matter.id}"]  # office staff find the report …
    assert ids(search_index, "批评教育", include_identity=False) == []  # … a department's part is its own


def test_a_save_never_waits_for_the_index_and_is_applied_once_it_is_free(app, session, office, make_matter,
                                                                          search_index):
    """Another process holds the index's write lock: the save commits at once (the request writes
    only the database and its change-log row); the search page waits a bounded time, says the index
    is being updated, and finds the change once the lock is free."""
    from supervision.models.search import SearchChange

    matter = make_matter("assigned", summary="群众反映窗口办事拖拉。")
    app.config.update(SEARCH_LOCK_TIMEOUT=0.1, SEARCH_CATCH_UP_SECONDS=0.3)
    app.extensions.pop("supervision.search")  # reopen with the short timeout
    holder = service.get_index()._ix.writer()  # as another process writing the index would
    try:
        matter_services.update_summary(session, office.intake, matter, "反映停车场乱收费。", matter.version)
        session.commit()
        logged = session.scalars(select(SearchChange.document).order_by(SearchChange.id.desc())).first()
        assert logged == f"matter:{matter.id}"
        response = find(app, office.intake, "乱收费")
        assert "没有找到" in page_text(response) and "检索索引正在更新" in page_text(response)
    finally:
        holder.cancel()
    assert f'href="/matters/{matter.id}"' in results(find(app, office.intake, "乱收费"))
    assert "检索索引正在更新" not in page_text(find(app, office.intake, "乱收费"))
    assert app.test_cli_runner().invoke(args=["search", "check"]).exit_code == 0


def test_check_applies_the_log_before_comparing(app, session, office, make_matter, search_index):
    """A change waiting in the log is not drift: the nightly check applies it and reports nothing."""
    matter = make_matter("assigned", summary="群众反映窗口办事拖拉。")
    matter_services.update_summary(session, office.intake, matter, "反映停车场乱收费。", matter.version)
    session.commit()
    result = app.test_cli_runner().invoke(args=["search", "check"])
    assert result.exit_code == 0 and "一致" in result.output, result.output
    assert search_index.search_ids("乱收费", departments=None, include_identity=True) == [f"matter:{matter.id}"]


def test_a_change_saved_during_a_full_reindex_is_found_after_it(app, session, office, make_matter, search_index,
                                                                monkeypatch):
    """The save commits while the reindex reads: its change-log row comes after the position the
    reindex started from, and the reindex applies it at its end, although it had read the matter
    before the save."""
    from supervision.search import documents

    first = make_matter("assigned", summary="群众反映窗口办事拖拉。")
    make_matter("assigned")
    app.config["SEARCH_LOCK_TIMEOUT"] = 0.2
    app.extensions.pop("supervision.search")
    read_all = documents.all_documents

    def saving_meanwhile(reading_session):
        for n, doc in enumerate(read_all(reading_session)):
            yield doc
            if n == 0:  # the first matter has been read: now a clerk saves it
                matter = session.get(Matter, first.id)
                matter_services.update_summary(session, office.intake, matter, "反映停车场乱收费。", matter.version)
                session.commit()

    monkeypatch.setattr(documents, "all_documents", saving_meanwhile)
    service.rebuild()
    assert session.get(Matter, first.id).summary == "反映停车场乱收费。"
    assert ids(service.get_index(), "乱收费") == [f"matter:{first.id}"]
    assert app.test_cli_runner().invoke(args=["search", "check"]).exit_code == 0  # nothing stale


# --- permissions inside the query -----------------------------------------------------------------
def test_department_head_cannot_find_another_departments_matter(app, office, make_matter, search_index):
    assigned = make_matter("assigned", summary="窗口办事拖拉，群众多次往返。")
    unassigned = make_matter("registered", summary="窗口办事拖拉，尚未交办。")

    def scoped(user) -> list[str]:  # the scope goes into the query, not a filter on the page afterwards
        service.catch_up(search_index)
        return search_index.search_ids("办事拖拉", **service.scope_for(user).arguments())

    assert scoped(office.head) == [f"matter:{assigned.id}"]
    assert scoped(office.other_head) == []
    assert sorted(scoped(office.intake)) == sorted([f"matter:{assigned.id}", f"matter:{unassigned.id}"])

    own = find(app, office.head, "办事拖拉").get_data(as_text=True)
    assert f'href="/matters/{assigned.id}"' in own and f"/matters/{unassigned.id}" not in own
    other = results(find(app, office.other_head, "办事拖拉"))
    assert "/matters/" not in other and "没有找到" in other
    assert "没有找到" in page_text(find(app, office.other_head, assigned.serial))  # not by number either
    assert f'href="/matters/{unassigned.id}"' in find(app, office.intake, "办事拖拉").get_data(as_text=True)


def test_department_head_cannot_find_or_see_the_complainant(app, office, make_matter, search_index):
    matter = make_matter("assigned", summary="群众反映窗口工作人员泄露审批信息。", content=CONTENT,
                         identity=matter_services.IdentityInput(name=COMPLAINANT, phone=PHONE, address="人民路12号"))

    for text in (COMPLAINANT, PHONE, "表哥", "审批内幕"):  # identity, then the complainant's own words
        response = find(app, office.head, text)
        assert "没有找到" in page_text(response), text
        assert f"/matters/{matter.id}" not in response.get_data(as_text=True)
    # found by the summary, the page still shows neither the name nor the content
    shown = find(app, office.head, "泄露审批").get_data(as_text=True)
    assert f'href="/matters/{matter.id}"' in shown
    for secret in (COMPLAINANT, PHONE, "人民路12号", "表哥", "审批内幕"):
        assert secret not in shown
    # office staff may search identity; what they see is still only the stored summary
    for text in (COMPLAINANT, PHONE, "审批内幕"):
        assert f'href="/matters/{matter.id}"' in find(app, office.intake, text).get_data(as_text=True), text
    assert COMPLAINANT not in results(find(app, office.intake, COMPLAINANT))
    assert ids(search_index, COMPLAINANT, departments={office.department.id}, include_identity=False) == []


def test_department_does_not_find_or_see_another_departments_report(app, session, office, make_matter):
    matter = make_matter("returned")  # office.department returned it; it went to another department
    matter_services.assign_matter(session, office.intake, matter, lead=office.other_department)
    matter_services.sign_assignment(session, office.other_head, matter.lead_assignment)
    matter_services.submit_reply(session, office.other_head, matter.lead_assignment,
                                 "卫健委内部核查报告：某科长已停职", "已处理")
    session.commit()

    assert "没有找到" in results(find(app, office.head, "内部核查报告"))
    shown = results(find(app, office.head, matter.serial))  # the matter itself is still theirs to open
    assert f'href="/matters/{matter.id}"' in shown and "核查报告" not in shown
    assert f'href="/matters/{matter.id}"' in results(find(app, office.supervisor, "内部核查报告"))


def test_talk_records_are_found_by_supervisors_and_leaders_only(app, office, make_talk):
    talk = make_talk("held", kind=TalkKind.ADMONITION, subject_name="周建华")
    for user in (office.supervisor, office.leader):
        assert f'href="/talks/{talk.id}"' in find(app, user, "周建华").get_data(as_text=True)
    for user in (office.head, office.intake):  # the subject's own department head; intake has no talks
        found = results(find(app, user, "周建华"))
        assert "/talks/" not in found and "没有找到" in found and "诫勉" not in found
    assert "没有找到" in page_text(find(app, office.head, talk.serial))


def test_rectification_notice_is_found_by_number_and_only_by_its_department(app, office, make_notice):
    notice = make_notice("received")
    for typed in (notice.number, notice.number.replace("〔", "[").replace("〕", "]")):
        assert f'href="/rectification/{notice.id}"' in find(app, office.head, typed).get_data(as_text=True)
    assert f'href="/rectification/{notice.id}"' in find(app, office.head, "意见簿").get_data(as_text=True)
    assert "/rectification/" not in results(find(app, office.other_head, "意见簿"))


def test_administrator_may_not_search_case_content(app, office):
    assert signed_in(app, office.admin).get("/search/?q=窗口").status_code == 403


def test_menu_shows_search_to_case_roles(app, office):
    assert "全文检索" in signed_in(app, office.head).get("/").get_data(as_text=True)
    assert "全文检索" not in signed_in(app, office.admin).get("/").get_data(as_text=True)


# --- the search page ------------------------------------------------------------------------------
def test_filters_sort_and_pages(app, office, make_matter):
    app.config["PER_PAGE"] = 2
    made = [make_matter("assigned", title=f"窗口投诉{n}", received_on=date(2026, 5, n)) for n in range(1, 6)]
    finding = make_matter("registered", kind=MatterKind.FINDING, channel=Channel.UNDERCOVER, title="窗口检查发现",
                          problems="窗口无人值守。", received_on=date(2026, 4, 1),
                          identity=matter_services.IdentityInput())

    newest = find(app, office.intake, "窗口", sort="date").get_data(as_text=True)
    assert newest.index(made[4].serial) < newest.index(made[3].serial)
    assert "第 1 / 3 页" in newest
    third = find(app, office.intake, "窗口", sort="date", page=3).get_data(as_text=True)
    assert finding.serial in third

    only_findings = find(app, office.intake, "窗口", kind="matter.finding").get_data(as_text=True)
    assert finding.serial in only_findings and made[0].serial not in only_findings
    in_may = find(app, office.intake, "窗口", date_from="2026-05-02", date_to="2026-05-03").get_data(as_text=True)
    assert made[1].serial in in_may and made[2].serial in in_may and made[0].serial not in in_may
    registered = find(app, office.intake, "窗口", status="matter:registered").get_data(as_text=True)
    assert finding.serial in registered and made[0].serial not in registered


@pytest.mark.parametrize("typed, message", [
    ("", "请输入检索词"),
    ('"', "没有可检索的文字"),
    ("*", "没有可检索的文字"),
    ("AND", "没有找到"),
    ("(窗口", "找到 1 条结果"),
    ('"窗口" AND (推诿', "找到 1 条结果"),
    ("窗口，推诿！", "找到 1 条结果"),  # full-width punctuation separates words
    ("窗口　推诿", "找到 1 条结果"),  # ideographic space
    ("窗" * 10_000, "检索词过长"),
    ("窗口推諉", "繁体字请改用简体字"),  # traditional characters: no match, and a hint
    ("<script>alert(1)</script>", "没有找到"),
])
def test_unusual_input_gives_a_sensible_page(app, office, make_matter, typed, message):
    make_matter("assigned", summary="窗口工作人员推诿扯皮。")
    response = find(app, office.intake, typed)
    assert message in page_text(response)
    assert "<script>alert" not in response.get_data(as_text=True)


def test_bad_dates_and_unknown_filters_are_ignored_with_a_message(app, office, make_matter):
    matter = make_matter("assigned", summary="窗口工作人员推诿扯皮。")
    response = find(app, office.intake, "推诿", date_from="2026-13-45", kind="bogus", status="x", page="abc")
    assert f'href="/matters/{matter.id}"' in response.get_data(as_text=True)
    assert "日期自" in page_text(response)


def test_page_says_when_the_index_is_not_built(app, office, make_matter, search_index):
    (search_index.path / service.READY_FILE).unlink()
    assert "flask search reindex" in page_text(find(app, office.intake, "窗口"))


# --- the matter list's keyword filter --------------------------------------------------------------
def test_matter_list_keyword_filter_uses_the_index_with_like_as_fallback(app, office, make_matter, search_index):
    matter = make_matter("assigned", summary="窗口工作人员推诿扯皮。",
                         identity=matter_services.IdentityInput(name=COMPLAINANT, phone=PHONE))
    intake, head = signed_in(app, office.intake), signed_in(app, office.head)
    assert matter.serial in intake.get("/matters/?q=推诿").get_data(as_text=True)
    assert matter.serial in intake.get(f"/matters/?q={COMPLAINANT}").get_data(as_text=True)
    assert matter.serial not in head.get(f"/matters/?q={COMPLAINANT}").get_data(as_text=True)

    search_index.delete([f"matter:{matter.id}"])  # the list now answers from the (damaged) index …
    assert matter.serial not in intake.get("/matters/?q=推诿").get_data(as_text=True)
    app.config["SEARCH_ENABLED"] = False  # … and from LIKE when search is off
    assert matter.serial in intake.get("/matters/?q=推诿").get_data(as_text=True)
    assert matter.serial not in head.get(f"/matters/?q={COMPLAINANT}").get_data(as_text=True)


def test_matter_list_says_when_the_keyword_matched_more_than_it_shows(app, office, make_matter):
    app.config["SEARCH_LIST_CAP"] = 2
    matters = [make_matter("assigned", summary=f"窗口工作人员推诿扯皮（{n}）。") for n in range(3)]
    html = signed_in(app, office.intake).get("/matters/?q=推诿").get_data(as_text=True)
    assert "超过 2 件" in html
    assert sum(m.serial in html for m in matters) == 2
    assert "超过" not in signed_in(app, office.intake).get("/matters/?q=推诿扯皮（1）").get_data(as_text=True)


# --- flask search reindex / check -------------------------------------------------------------------
def test_reindex_and_check_repair_a_damaged_index(app, office, make_matter, make_notice, make_talk, search_index):
    first = make_matter("assigned", summary="窗口工作人员推诿扯皮。")
    second = make_matter("assigned", summary="大厅叫号系统经常故障。")
    notice, talk = make_notice(), make_talk("held")
    runner = app.test_cli_runner()
    result = runner.invoke(args=["search", "check"])
    assert result.exit_code == 0 and "一致" in result.output, result.output

    def damage():
        search_index.delete([f"matter:{first.id}"])  # lost
        doc = next(d for d in _documents(second) if d["id"] == f"matter:{second.id}")
        search_index.upsert([{**doc, "version": "an-old-version"}])  # changed since it was indexed
        search_index.upsert([{"id": "matter:999999", "kind": "matter", "title": "已不存在", "version": 1}])

    damage()
    result = runner.invoke(args=["search", "check"])
    assert result.exit_code == 1
    assert f"缺失 1 个：matter:{first.id}" in result.output
    assert f"过期 1 个：matter:{second.id}" in result.output
    assert "多余 1 个：matter:999999" in result.output

    result = runner.invoke(args=["search", "check", "--fix"])
    assert result.exit_code == 0 and "已修复" in result.output, result.output
    assert runner.invoke(args=["search", "check"]).exit_code == 0
    assert ids(search_index, "推诿") == [f"matter:{first.id}"]

    damage()
    result = runner.invoke(args=["search", "reindex"])
    assert result.exit_code == 0 and "已重建：4 个文档" in result.output, result.output
    assert runner.invoke(args=["search", "check"]).exit_code == 0
    assert ids(search_index, "推诿") == [f"matter:{first.id}"]
    assert ids(search_index, "已不存在") == []
    assert ids(search_index, notice.number) == [f"notice:{notice.id}"]
    assert ids(search_index, talk.serial) == [f"talk:{talk.id}"]


def test_check_tells_to_reindex_an_index_built_with_the_previous_schema(app, office, make_matter, tmp_path):
    """The index of the previous release (positions in the text field, no schema description):
    `check` refuses and says to reindex (`make demo` then reindexes); `reindex` repairs it."""
    from whoosh import fields, index as whoosh_index

    from supervision.search.analysis import JiebaTokenizer
    from supervision.search.engine import FORMAT_FILE, make_schema

    matter = make_matter("assigned", summary="窗口工作人员推诿扯皮。")
    old = make_schema()
    old.remove("text")
    old.add("text", fields.TEXT(analyzer=JiebaTokenizer("search", title_boost=3.0)))
    path = tmp_path / "old_index"
    path.mkdir()
    whoosh_index.create_in(str(path), old)
    (path / FORMAT_FILE).write_text(json.dumps({"analysis_format": 1, "fields": old.names()}))
    (path / service.READY_FILE).write_text("{}")
    app.config["SEARCH_INDEX_DIR"] = str(path)

    runner = app.test_cli_runner()
    result = runner.invoke(args=["search", "check"])
    assert result.exit_code != 0 and "flask search reindex" in result.output, result.output
    assert "flask search reindex" in page_text(find(app, office.intake, "窗口"))

    assert runner.invoke(args=["search", "reindex"]).exit_code == 0
    assert runner.invoke(args=["search", "check"]).exit_code == 0
    assert ids(service.get_index(), "推诿") == [f"matter:{matter.id}"]


def test_nightly_check_with_fix_rebuilds_an_index_of_an_older_format(app, office, make_matter):
    """After an upgrade that changes the index's layout, the nightly `search check --fix` rebuilds it."""
    from supervision.search.engine import FORMAT_FILE

    matter = make_matter("assigned", summary="窗口工作人员推诿扯皮。")
    runner = app.test_cli_runner()
    assert runner.invoke(args=["search", "reindex"]).exit_code == 0
    (service.get_index().path / FORMAT_FILE).write_text('{"analysis_format": 0}')  # as an older release wrote
    assert runner.invoke(args=["search", "check"]).exit_code != 0
    result = runner.invoke(args=["search", "check", "--fix"])
    assert result.exit_code == 0 and "重建" in result.output, result.output
    assert runner.invoke(args=["search", "check"]).exit_code == 0
    assert ids(service.get_index(), "推诿") == [f"matter:{matter.id}"]


def test_search_commands_refuse_when_search_is_off(app):
    app.config["SEARCH_ENABLED"] = False
    result = app.test_cli_runner().invoke(args=["search", "reindex"])
    assert result.exit_code != 0 and "未启用" in result.output


# --- helpers ----------------------------------------------------------------------------------------
def _input(**fields):
    from matters_factories import matter_input

    return matter_input(**fields)


def _documents(matter):
    from supervision.search import documents

    with service.new_session() as session:
        return documents.documents_for(session, [f"matter:{matter.id}"])[0]
