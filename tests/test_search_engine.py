"""The search engine on a real index in a temporary directory (no Flask, no database)."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from datetime import date, datetime
from pathlib import Path

import pytest

from supervision.search.engine import FORMAT_FILE, IndexBusy, SearchIndex

ROOT = Path(__file__).resolve().parent.parent


def make_doc(n: int, **overrides) -> dict:
    doc = {
        "id": f"matter:{n}", "kind": "matter", "number": f"XT-2026-{n:05d}",
        "title": f"投诉{n}", "body": "群众反映有关问题。", "identity": "",
        "department_ids": [1], "status": "assigned", "matter_kind": "complaint",
        "created": datetime(2026, 1, 1, 9, 0), "version": 1,
    }
    doc.update(overrides)
    return doc


@pytest.fixture
def index(tmp_path) -> SearchIndex:
    return SearchIndex(tmp_path / "index")


def ids(page) -> list[str]:
    return [hit.id for hit in page.hits]


def search(index: SearchIndex, text, **kwargs):
    kwargs.setdefault("departments", None)
    kwargs.setdefault("include_identity", False)
    return index.search(text, **kwargs)


def test_word_inside_a_longer_run_is_found(index):
    index.upsert([make_doc(1, body="服务窗口工作人员态度生硬，推诿扯皮。"),
                  make_doc(2, body="办事大厅秩序良好。")])
    assert ids(search(index, "窗口")) == ["matter:1"]
    assert ids(search(index, "人员")) == ["matter:1"]
    assert ids(search(index, "窗口工作")) == ["matter:1"]  # across jieba's word boundary


def test_exact_case_number_and_document_number_are_found(index):
    index.upsert([make_doc(17), make_doc(18),
                  make_doc(3, id="notice:3", kind="notice", number="效整〔2026〕12号"),
                  make_doc(4, id="notice:4", kind="notice", number="效整〔2026〕13号")])
    for typed in ("XT-2026-00017", "xt-2026-00017", "ＸＴ－２０２６－０００１７"):
        assert ids(search(index, typed)) == ["matter:17"], typed
    for typed in ("效整〔2026〕12号", "效整[2026]12号", "效整（2026）12号", "效整【2026】12号"):
        assert ids(search(index, typed)) == ["notice:3"], typed


def test_cjk_run_is_a_phrase_not_an_and_of_its_words(index):
    index.upsert([
        make_doc(1, body="政务中心的自助设备长期故障。"),
        make_doc(2, body="政务公开不到位。群众反映中心负责人不在岗。"),  # 政务 … 中心, far apart
        make_doc(3, body="镇人民政府便民服务中心窗口排长队。"),  # jieba: 便民服务/中心
    ])
    assert ids(search(index, "政务中心")) == ["matter:1"]
    assert ids(search(index, "政务中心", sort="date")) == ["matter:1"]
    assert index.search_ids("政务中心", departments=None, include_identity=False) == ["matter:1"]
    assert search(index, "政务中心").total == 1
    assert ids(search(index, "服务中心窗口")) == ["matter:3"]
    assert sorted(ids(search(index, "政务 中心"))) == ["matter:1", "matter:2"]  # two words: AND


def test_a_match_in_the_title_ranks_first(index):
    index.upsert([make_doc(1, title="投诉", body="群众反映窗口推诿。"),
                  make_doc(2, title="窗口推诿的投诉", body="群众反映有关问题。"),
                  make_doc(3, title="投诉", body="群众反映窗口推诿，窗口推诿。")])
    assert ids(search(index, "窗口 推诿"))[0] == "matter:2"
    assert ids(search(index, "窗口推诿"))[0] == "matter:2"


def test_phrase_pages_hold_only_exact_matches(index):
    near_misses = [make_doc(n, body="政务中 心。政务公开，中心" * 3) for n in range(1, 41)]
    exact = [make_doc(n, body="政务中心") for n in range(41, 44)]
    index.upsert(near_misses + exact)
    first = search(index, "政务中心", per_page=2)
    assert set(ids(first)) <= {"matter:41", "matter:42", "matter:43"} and len(first.hits) == 2
    assert (first.total, first.pages) == (3, 2)
    assert len(search(index, "政务中心", per_page=2, page=2).hits) == 1


def test_words_separated_by_spaces_or_full_width_punctuation_must_all_match(index):
    index.upsert([make_doc(1, body="窗口工作人员推诿。"), make_doc(2, body="窗口排队时间长。")])
    assert ids(search(index, "窗口 推诿")) == ["matter:1"]
    assert ids(search(index, "窗口　推诿")) == ["matter:1"]  # ideographic space
    assert ids(search(index, "窗口，推诿")) == ["matter:1"]
    assert ids(search(index, "窗口 AND 推诿")) == ["matter:1"]  # syntax words are not operators


def test_department_filter_excludes_other_departments(index):
    index.upsert([
        make_doc(1, body="窗口推诿", department_ids=[1]),
        make_doc(2, body="窗口推诿", department_ids=[2]),
        make_doc(3, body="窗口推诿", department_ids=[1, 3]),  # department 3 co-handles
    ])
    assert sorted(ids(search(index, "窗口", departments={1}))) == ["matter:1", "matter:3"]
    assert ids(search(index, "窗口", departments={3})) == ["matter:3"]
    assert ids(search(index, "窗口", departments=set())) == []
    assert len(search(index, "窗口", departments=None).hits) == 3
    assert ids(search(index, "窗口", departments={1, 2}, department=2)) == ["matter:2"]
    assert ids(search(index, "窗口", departments={1}, department=2)) == []


def test_department_head_cannot_find_a_matter_by_complainant_name(index):
    index.upsert([make_doc(1, body="窗口推诿", identity=["欧阳娜娜", "13912345678", "人民路12号"])])
    assert ids(search(index, "欧阳娜娜", include_identity=True)) == ["matter:1"]
    assert ids(search(index, "13912345678", include_identity=True)) == ["matter:1"]
    assert ids(search(index, "欧阳娜娜", departments={1}, include_identity=False)) == []
    assert ids(search(index, "13912345678", include_identity=False)) == []
    hit = search(index, "欧阳娜娜", include_identity=True).hits[0]
    assert "欧阳娜娜" not in hit.highlight_html + hit.title_html  # identity is never stored


@pytest.mark.parametrize("text", [
    '"', '*', "窗口*", "AND", "OR", "NOT", "窗口 OR", "NOT 窗口", "(窗口", "[2026 TO 2027]",
    "title:窗口", "id:matter:1", "窗口^5", "~窗口", "\\", "{}", "'\"", "，。！？", "", "   ", None,
    "窗" * 10_000, "窗口 " * 5_000, "\x00窗口", "😀", "<script>alert(1)</script>", 12345,
])
def test_unusual_queries_do_not_raise(index, text):
    index.upsert([make_doc(1, body="窗口工作人员推诿。")])
    started = time.perf_counter()
    page = search(index, text)
    assert time.perf_counter() - started < 2.0
    assert page.page == 1 and isinstance(page.hits, list)


def test_empty_query_returns_an_empty_page(index):
    index.upsert([make_doc(1)])
    page = search(index, "  ")
    assert (page.total, page.hits, page.pages) == (0, [], 0)


def test_syntax_characters_are_only_separators(index):
    index.upsert([make_doc(1, body="窗口工作人员推诿。"), make_doc(2, body="窗口排队。")])
    assert ids(search(index, '"窗口" (推诿)*')) == ["matter:1"]


def test_highlight_is_escaped_and_marks_the_matches(index):
    index.upsert([make_doc(1, title="<b>窗口</b>投诉", body="前文<script>x</script>服务窗口推诿扯皮")])
    hit = search(index, "窗口").hits[0]
    assert "<script>" not in hit.highlight_html
    assert "&lt;script&gt;" in hit.highlight_html
    assert "<mark>窗口</mark>" in hit.highlight_html
    assert hit.title_html == "&lt;b&gt;<mark>窗口</mark>&lt;/b&gt;投诉"


def test_sort_by_date_and_pages(index):
    index.upsert([make_doc(n, body="窗口推诿", created=datetime(2026, 1, n)) for n in range(1, 26)])
    first = search(index, "窗口", sort="date", per_page=10)
    assert ids(first)[:3] == ["matter:25", "matter:24", "matter:23"]
    assert (first.total, first.pages) == (25, 3)
    third = search(index, "窗口", sort="date", per_page=10, page=3)
    assert ids(third) == [f"matter:{n}" for n in range(5, 0, -1)]


def test_kind_status_and_date_filters(index):
    index.upsert([
        make_doc(1, body="窗口", created=datetime(2026, 3, 1), status="closed"),
        make_doc(2, body="窗口", created=datetime(2026, 3, 31, 18), status="assigned"),
        make_doc(3, id="notice:3", kind="notice", body="窗口", created=datetime(2026, 4, 2)),
    ])
    assert ids(search(index, "窗口", kinds=["notice"])) == ["notice:3"]
    assert ids(search(index, "窗口", statuses=["closed"])) == ["matter:1"]
    march = search(index, "窗口", date_from=date(2026, 3, 2), date_to=date(2026, 3, 31))
    assert ids(march) == ["matter:2"]  # date_to includes the whole day


def test_time_budget_gives_a_partial_page_that_still_respects_permissions(tmp_path):
    index = SearchIndex(tmp_path / "index", time_budget=1e-9)
    index.upsert([make_doc(n, body="窗口推诿", department_ids=[n % 2]) for n in range(300)])
    page = search(index, "窗口", departments={1})
    assert page.partial and not page.total_exact
    assert page.hits and all(int(h.id.split(":")[1]) % 2 == 1 for h in page.hits)
    assert not search(SearchIndex(tmp_path / "index", time_budget=None), "窗口").partial


def test_upsert_replaces_the_document(index):
    index.upsert([make_doc(1, title="旧标题窗口", version=1)])
    index.upsert([make_doc(1, title="新标题推诿", version=2)])
    assert index.doc_count() == 1
    assert ids(search(index, "窗口")) == []
    assert ids(search(index, "推诿")) == ["matter:1"]
    assert index.stored_versions() == {"matter:1": "2"}


def test_delete_removes_documents(index):
    index.upsert([make_doc(1, body="窗口"), make_doc(2, body="窗口")])
    assert index.delete(["matter:1", "matter:99"]) == 1
    assert ids(search(index, "窗口")) == ["matter:2"]


def test_check_reports_damage_and_rebuild_repairs_it(index):
    database = {n: make_doc(n, body="窗口", version=1) for n in range(1, 5)}
    index.upsert(database.values())
    assert index.check({d["id"]: d["version"] for d in database.values()}).ok

    index.delete(["matter:1"])  # lost
    database[2]["version"] = 2  # changed in the database, index not told
    index.upsert([make_doc(9, body="窗口")])  # no longer in the database
    del database[4]  # deleted in the database, index not told
    expected = {d["id"]: d["version"] for d in database.values()}

    report = index.check(expected)
    assert report.missing == ["matter:1"]
    assert report.stale == ["matter:2"]
    assert report.extra == ["matter:4", "matter:9"]
    assert not report.ok

    progress = []
    stats = index.rebuild(database.values(), total=len(database),
                          progress=lambda done, total: progress.append((done, total)))
    assert stats.docs == 3
    assert progress[-1] == (3, 3)
    assert index.check(expected).ok
    assert sorted(ids(search(index, "窗口"))) == ["matter:1", "matter:2", "matter:3"]


def test_versions_compare_as_text_whatever_their_type(index):
    stamp = datetime(2026, 5, 1, 12, 30, 15)
    index.upsert([make_doc(1, version=stamp), make_doc(2, version=7)])
    assert index.check({"matter:1": stamp, "matter:2": 7}).ok
    assert index.check({"matter:1": datetime(2026, 5, 1, 12, 31), "matter:2": 7}).stale == ["matter:1"]


def test_a_held_write_lock_makes_writers_fail_with_index_busy(tmp_path):
    index = SearchIndex(tmp_path / "index", lock_timeout=0.3)
    holder = index._ix.writer()  # as another process would
    try:
        started = time.perf_counter()
        with pytest.raises(IndexBusy):
            index.upsert([make_doc(1)])
        assert time.perf_counter() - started >= 0.3  # it waited before giving up
        assert search(index, "投诉1").total == 0  # readers are not blocked
    finally:
        holder.cancel()
    index.upsert([make_doc(1)])
    assert ids(search(index, "投诉1")) == ["matter:1"]


def test_searcher_sees_what_another_process_wrote(index):
    index.upsert([make_doc(1, body="窗口")])
    assert ids(search(index, "窗口")) == ["matter:1"]
    script = (
        "import sys; from supervision.search.engine import SearchIndex; "
        "SearchIndex(sys.argv[1]).upsert([{'id': 'matter:2', 'body': '窗口', 'version': 1}])"
    )
    subprocess.run([sys.executable, "-c", script, str(index.path)], check=True, cwd=ROOT,
                   env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    assert sorted(ids(search(index, "窗口"))) == ["matter:1", "matter:2"]


def test_index_from_an_older_analyzer_needs_a_rebuild(index, tmp_path):
    index.upsert([make_doc(1, body="窗口")])
    assert not index.needs_rebuild
    (index.path / FORMAT_FILE).write_text('{"analysis_format": 0}')
    assert index.needs_rebuild
    index.rebuild([make_doc(2, body="窗口")], total=1)
    assert not index.needs_rebuild
    assert ids(search(index, "窗口")) == ["matter:2"]


def test_index_written_with_the_previous_schema_needs_a_rebuild(tmp_path):
    """Before the text field lost its positions, indexes recorded only the field names: such an
    index must be rebuilt, not read as if it had this layout."""
    from whoosh import fields, index as whoosh_index

    from supervision.search.analysis import JiebaTokenizer
    from supervision.search.engine import make_schema

    old = make_schema()
    old.remove("text")
    old.add("text", fields.TEXT(analyzer=JiebaTokenizer("search", title_boost=3.0)))  # positions
    path = tmp_path / "old"
    path.mkdir()
    whoosh_index.create_in(str(path), old)
    (path / FORMAT_FILE).write_text(json.dumps({"analysis_format": 1, "fields": old.names()}))
    index = SearchIndex(path)
    assert index.needs_rebuild
    index.rebuild([make_doc(1, body="窗口推诿")], total=1)
    assert not index.needs_rebuild
    assert ids(search(index, "窗口推诿")) == ["matter:1"]


@pytest.mark.parametrize("mode", ["default", "search"])
def test_fast_segmentation_gives_exactly_jiebas_tokens(mode):
    import jieba

    from supervision.search.analysis import jieba_tokenize

    texts = [
        "服务窗口工作人员态度生硬，推诿扯皮。群众反映便民服务中心窗口排长队",
        "XT-2026-00017 效整〔2026〕12号 abc DEF 12ab 3.5% C++ a&b #tag ok",
        "欧阳娜娜 13912345678 人民路12号\n\r\n  换行\t制表　全角空格",
        "", "。", "的", "中华人民共和国国务院办公厅关于进一步优化政务服务提升行政效能推动高效办成一件事的指导意见",
        "南京市长江大桥上的长江大桥是南京市长江大桥", "😀表情符号与汉字混排😀",
    ]
    for text in texts:
        assert jieba_tokenize(text, mode) == list(jieba.tokenize(text, mode=mode, HMM=False)), text


def test_a_phrase_is_matched_on_the_stored_text_however_jieba_cut_it(index):
    index.upsert([make_doc(1, body="窗口工作人员推诿。"), make_doc(2, body="工作窗口人员推诿。")])
    assert ids(search(index, "窗口工作")) == ["matter:1"]
    assert ids(search(index, "口工")) == []  # not a word: neither document has the token
    assert ids(search(index, "窗口工作人员推诿")) == ["matter:1"]


def test_filters_see_documents_added_after_they_were_first_used(index):
    index.upsert([make_doc(1, body="窗口推诿", department_ids=[1])])
    assert ids(search(index, "窗口", departments={1})) == ["matter:1"]  # the filter set is cached …
    index.upsert([make_doc(2, body="窗口推诿", department_ids=[1])])  # … per segment: a new one here
    index.upsert([make_doc(1, body="窗口推诿", department_ids=[2])])  # and the old copy deleted
    assert ids(search(index, "窗口", departments={1})) == ["matter:2"]
    assert ids(search(index, "窗口", departments={2})) == ["matter:1"]


def test_many_phrase_candidates_give_an_estimated_total(index, monkeypatch):
    from supervision.search import engine

    monkeypatch.setattr(engine, "_VERIFY_ALL", 10)
    monkeypatch.setattr(engine, "_VERIFY_SAMPLE", 50)
    index.upsert([make_doc(n, body="政务中心" if n % 2 else "政务公开，中心") for n in range(1, 101)])
    page = search(index, "政务中心")
    assert not page.total_exact and 35 <= page.total <= 65
    assert all(int(h.id.split(":")[1]) % 2 for h in page.hits) and len(page.hits) == 20
    assert len(index.search_ids("政务中心", departments=None, include_identity=False)) == 50


def test_search_ids_with_a_limit_gives_the_newest(index):
    index.upsert([make_doc(n, body="窗口", created=datetime(2026, 1, n)) for n in range(1, 11)])
    newest = index.search_ids("窗口", departments=None, include_identity=False, limit=3)
    assert newest == ["matter:10", "matter:9", "matter:8"]
    assert index.search_ids("窗口", departments=None, include_identity=False, limit=3, kinds=["notice"]) == []


def _index_contents(ix) -> tuple[set, dict]:
    """Every posting as (field, term, document id, weight, value) and every stored document, by
    document id: what a reader sees, whatever the segments and document numbers."""
    postings, stored = set(), {}
    with ix.reader() as reader:
        doc_ids = {n: fields["id"] for n, fields in reader.iter_docs()}
        stored = {doc_ids[n]: fields for n, fields in reader.iter_docs()}
        for fieldname, tbytes in reader.all_terms():
            matcher = reader.postings(fieldname, tbytes)
            while matcher.is_active():
                postings.add((fieldname, tbytes, doc_ids[matcher.id()], matcher.weight(), matcher.value()))
                matcher.next()
    return postings, stored


def test_rebuild_writes_what_whooshs_own_writer_writes(tmp_path):
    """The rebuild's term pool (spilling to run files when full) and its processes give the same
    postings and stored fields as whoosh's writer with its own posting pool."""
    from whoosh import index as whoosh_index
    from whoosh.writing import CLEAR

    from supervision.search.engine import SCHEMA, TfIdfCodec, _document_fields
    from supervision.search.pool import TermPoolMpWriter, TermPoolSegmentWriter

    bodies = ["服务窗口工作人员态度生硬，推诿扯皮。", "便民服务中心窗口排长队，群众反映办事难",
              "社保卡补办收取加急费用不开票据", "公积金提取材料反复退回"]
    docs = [_document_fields(make_doc(n, title=f"投诉{n}窗口", body=bodies[n % 4] * (1 + n % 3),
                                      identity=["张三丰", "王伟"][n % 2], department_ids=[n % 5, 7],
                                      created=datetime(2026, 1 + n % 12, 1 + n % 28), version=n))
            for n in range(300)]

    def build(name: str, writer_for) -> tuple[set, dict]:
        path = tmp_path / name
        path.mkdir()
        ix = whoosh_index.create_in(str(path), SCHEMA)
        writer = writer_for(ix)
        for doc in docs:
            writer.add_document(**doc)
        writer.commit(mergetype=CLEAR)
        assert not list(path.glob("*.run")), "run files left behind"
        return _index_contents(whoosh_index.open_dir(str(path)))

    expected = build("whoosh", lambda ix: ix.writer(codec=TfIdfCodec()))
    pooled = TermPoolSegmentWriter
    assert build("pool", lambda ix: pooled(ix, codec=TfIdfCodec())) == expected
    spilled = []

    def spilling(ix):
        writer = pooled(ix, codec=TfIdfCodec(), limitmb=0.01)  # ~10 KB: a run file every few documents
        save = writer.pool.save
        writer.pool.save = lambda: (spilled.append(1), save())
        return writer

    assert build("spilled", spilling) == expected
    assert len(spilled) > 5
    assert build("processes", lambda ix: TermPoolMpWriter(ix, procs=2, batchsize=40, codec=TfIdfCodec())) == expected
    postings, stored = expected
    assert len(stored) == 300 and any(field == "identity" for field, *_ in postings)


def test_common_and_rare_words_rank_as_whooshs_own_query_does(tmp_path):
    """A rare word AND a word in nine documents of ten (searched for, its list cached), an OR with
    the identity field, department filters: the same documents, totals and order as whoosh's
    own query on the same index, first with the posting lists decoded, then from the cache."""
    from whoosh import query as wq

    from supervision.search.engine import WEIGHTING
    from supervision.search.matching import POSTING_CACHE_MIN

    n = POSTING_CACHE_MIN + 800  # 窗口 (not in every tenth document) has more postings than that
    index = SearchIndex(tmp_path / "index")
    index.rebuild([make_doc(i, title=f"投诉{i}", body=("服务大厅" if i % 10 == 0 else "服务窗口")
                            + "推诿" * (1 + i % 3) * (i % 37 == 0 or i % 10 == 0 and i % 7 == 0) + "。" * (i % 5),
                            identity=["推诿张三"] if i % 101 == 0 else [], department_ids=[i % 4])
                   for i in range(n)], total=n, procs=1)

    def whoosh_ids(q, departments=None) -> list[str]:
        with index._ix.searcher(weighting=WEIGHTING) as searcher:
            if departments:
                q = wq.And([q, wq.Or([wq.Term("department_ids", str(d)) for d in departments])])
            return [hit["id"] for hit in searcher.search(q, limit=None)]

    both = wq.And([wq.Term("text", "窗口"), wq.Term("text", "推诿")])
    with_identity = wq.And([wq.Or([wq.Term("text", "窗口"), wq.Term("identity", "窗口")]),
                            wq.Or([wq.Term("text", "推诿"), wq.Term("identity", "推诿")])])
    cases = [("窗口 推诿", False, None, whoosh_ids(both)),
             ("窗口 推诿", True, None, whoosh_ids(with_identity)),
             ("推诿 窗口", False, {1, 2}, whoosh_ids(both, {1, 2})),
             ("窗口", False, {3}, whoosh_ids(wq.Term("text", "窗口"), {3}))]  # the department's set probed
    for _ in ("decoded", "cached"):
        for text, identity, departments, expected in cases:
            page = index.search(text, departments=departments, include_identity=identity, per_page=100)
            assert page.total == len(expected) > 20
            assert ids(page) == expected[:100], (text, identity, departments)
    assert index._state.postings.items, "the long list of 窗口 was not kept"


def test_document_sets_combine_as_python_sets_do():
    """The sorted arrays that candidates, filters and deletions are combined on: empty, disjoint,
    nested and overlapping sets give what Python's set operations give."""
    import random

    from supervision.search.matching import difference, docs_array, intersect, union

    rng = random.Random(6)
    cases = [(set(), set()), (set(), {1, 2}), ({1, 2}, set()), ({1, 3}, {2, 4}), ({5}, {5}),
             ({0, 99}, set(range(100)))]
    cases += [(set(rng.sample(range(500), rng.randrange(300))), set(rng.sample(range(500), rng.randrange(300))))
              for _ in range(50)]
    for a, b in cases:
        left, right = docs_array(a), docs_array(b)
        assert intersect(left, right).tolist() == sorted(a & b)
        assert union(left, right).tolist() == sorted(a | b)
        assert difference(left, right).tolist() == sorted(a - b)
