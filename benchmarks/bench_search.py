"""Benchmark of the whoosh + jieba search engine on synthetic Chinese complaint texts.

    python benchmarks/bench_search.py [--docs 100000] [--procs 2] [--keep DIR [--reuse]]
                                      [--profile] [--page [--page-db FILE --page-index DIR]]

Builds an index (docs/s wall and CPU, segments, size on disk), then runs queries (broad two-word,
specific, phrase, with a department filter, sorted by date) on one reused searcher and reports
median and p95, wall and CPU, highlights included, with PASS/FAIL against the targets (issue 6):
top 20 with highlights < 50 ms median and < 200 ms p95 for queries of common words with thousands
of hits; indexing >= 700 docs/s. Queries whose words are in most documents (tens of thousands of
candidates), which the issue's target does not speak of, are held to it too. It also checks the
phrase handling against the ground truth (plain substring search).

``--profile`` profiles indexing (3,000 documents, one process) and says what dominates.
``--page`` times the search page against a trivial logged-in route of the same app (in-process
WSGI; target: at most 10x, median) on a database of ``--matters`` generated matters, indexed by
``flask search reindex``'s code path (the database reads included: docs/s reported too).
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import shutil
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from supervision.search.engine import SearchIndex  # noqa: E402

TARGET_MEDIAN_MS = 50.0
TARGET_P95_MS = 200.0
TARGET_DOCS_PER_S = 700.0
HELD_DOCS = 10_000  # smaller builds are not held to the indexing target
TARGET_PAGE_RATIO = 10.0

UNITS = [
    "区政务服务中心", "市政务服务中心", "市场监管局", "区市场监督管理局", "区人社局", "不动产登记中心",
    "公安分局户籍窗口", "区住建局", "街道办事处", "税务局办税服务厅", "区医保局", "城管执法局",
    "区教育局", "区卫健委", "自然资源局", "交通运输局", "区民政局", "生态环境局", "区行政审批局",
    "社区居委会", "公积金管理中心", "出入境接待大厅", "车管所", "区司法局", "区应急管理局",
    "区农业农村局", "区文旅局", "供电所营业厅", "自来水公司营业厅", "镇人民政府便民服务中心",
]
PLACES = ["窗口", "综合窗口", "受理窗口", "服务大厅", "咨询台", "办公室", "审批科", "执法中队", "营业厅"]
MATTERS = [
    "营业执照变更", "社保卡补办", "公积金提取", "房产证办理", "户口迁移", "低保申请", "医保报销",
    "施工许可", "食品经营许可证", "退休审批", "不动产抵押登记", "个体工商户注册", "残疾证办理",
    "居住证申领", "出生医学证明", "二手房过户", "税务登记", "失业金申领", "养老金认证", "驾驶证换证",
]
PROBLEMS = [
    "态度生硬", "推诿扯皮", "办事拖拉", "乱收费", "吃拿卡要", "不作为", "乱作为", "门难进脸难看",
    "多次往返仍未办结", "要求反复补交材料", "超过承诺时限未办结", "上班时间玩手机", "擅离工作岗位",
    "不一次性告知所需材料", "以系统故障为由拒绝受理", "让群众找熟人才能办", "收取材料费未开票",
]
DETAILS = [
    "当事人多次到{unit}{place}咨询，工作人员以各种理由推脱，称需要领导签字后才能办理",
    "群众反映排队等候两个多小时，{place}只开放一个，其余工作人员在聊天",
    "工作人员{person}言语粗暴，当众呵斥前来办事的老人，造成不良影响",
    "材料已经按照要求提交齐全，但是{place}要求另行提供证明，且不说明依据",
    "电话咨询时无人接听，到现场后又被告知需要网上预约，网上预约系统长期无法登录",
    "办理{matter}过程中被要求缴纳所谓加急费用{money}元，未出具任何收费票据",
    "该问题已经向12345热线反映过，转办后至今没有任何答复",
    "工作人员暗示需要请客送礼才能尽快办理，群众对此非常不满",
    "承诺时限为五个工作日，实际已经过去一个多月仍未办结",
    "窗口工作人员对政策解释前后不一，导致群众来回跑了四五趟",
    "反映人称其亲属在{unit}工作期间长期不在岗，考勤弄虚作假",
    "政务中心的自助设备长期故障无人维修，引导人员也不在岗",
    "中心负责人接到投诉后没有及时处理，反而要求投诉人撤回投诉",
]
DEMANDS = ["尽快办结", "严肃处理相关责任人", "退还违规收取的费用", "给予合理解释", "公开道歉", "加强窗口管理"]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建国志红玉兰文斌晓东海波宇浩然欣怡子涵梓轩"
STATUSES = ["registered", "accepted", "assigned", "received", "in_progress", "replied", "approved", "closed"]
KINDS = [("matter", 0.8), ("notice", 0.12), ("talk", 0.08)]
MATTER_KINDS = ["complaint", "suggestion", "finding"]
DEPARTMENTS = 30


def _name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2, 2))))


def generate_docs(n: int, seed: int = 20260701):
    """Deterministic synthetic documents in the engine's input format."""
    rng = random.Random(seed)
    start = datetime(2024, 1, 1, 8, 30)
    counters: dict[str, int] = {}
    for i in range(1, n + 1):
        kind = rng.choices([k for k, _ in KINDS], [w for _, w in KINDS])[0]
        unit, place, matter = rng.choice(UNITS), rng.choice(PLACES), rng.choice(MATTERS)
        problem, person = rng.choice(PROBLEMS), _name(rng)
        created = start + timedelta(minutes=rng.randrange(0, 3 * 365 * 24 * 60))
        year = created.year
        if kind == "notice":
            counters[f"n{year}"] = counters.get(f"n{year}", 0) + 1
            number = f"效整〔{year}〕{counters[f'n{year}']}号"
            title = f"关于{unit}{problem}问题的整改通知书"
        elif kind == "talk":
            counters[f"t{year}"] = counters.get(f"t{year}", 0) + 1
            number = f"诫勉〔{year}〕{counters[f't{year}']}号"
            title = f"关于对{unit}{person}的诫勉谈话"
        else:
            counters[f"m{year}"] = counters.get(f"m{year}", 0) + 1
            number = f"XT-{year}-{counters[f'm{year}']:05d}"
            title = f"关于{unit}{place}{problem}的投诉"
        sentences = [
            f"{created.year}年{created.month}月{created.day}日，群众反映{unit}{place}在办理{matter}时{problem}"
        ]
        target = rng.randint(100, 400)
        while sum(map(len, sentences)) < target:
            sentences.append(rng.choice(DETAILS).format(
                unit=rng.choice(UNITS), place=rng.choice(PLACES), person=_name(rng),
                matter=rng.choice(MATTERS), money=rng.choice((50, 100, 200, 300, 500))))
        sentences.append(f"要求{rng.choice(DEMANDS)}")
        body = "。".join(sentences)[:400] + "。"
        complainant = _name(rng)
        identity = (f"{complainant} 1{rng.randint(3, 9)}{rng.randrange(10**9):09d} "
                    f"{rng.choice(('幸福路', '人民路', '建设街', '中山大道'))}{rng.randint(1, 300)}号")
        depts = [rng.randint(1, DEPARTMENTS)] + rng.sample(range(1, DEPARTMENTS + 1), rng.choice((0, 0, 1, 2)))
        yield {
            "id": f"{kind}:{i}", "kind": kind, "number": number, "title": title, "body": body,
            "identity": identity if kind == "matter" else "", "department_ids": sorted(set(depts)),
            "status": rng.choice(STATUSES), "matter_kind": rng.choice(MATTER_KINDS) if kind == "matter" else "",
            "created": created, "version": rng.randint(1, 9),
        }


def _percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(pct / 100 * (len(ordered) - 1))))]


def _time_query(index: SearchIndex, text: str, repeat: int, **kwargs) -> tuple[list[float], object]:
    index.search(text, **kwargs)  # warm: filter sets, caches
    times, cpu, page = [], [], None
    for _ in range(repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        page = index.search(text, **kwargs)
        times.append((time.perf_counter() - t0) * 1000)
        cpu.append((time.process_time() - c0) * 1000)
    return times, cpu, page


def _cpu_seconds() -> float:
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _dir_size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def profile_indexing(n: int = 3000) -> None:
    """Where the CPU of indexing goes (cProfile, one process; the profiler inflates the total, the
    shares are what matter)."""
    import cProfile
    import pstats

    docs = list(generate_docs(n, seed=7))
    tmp = Path(tempfile.mkdtemp(prefix="bench-search-profile-"))
    try:
        index = SearchIndex(tmp)
        index.rebuild(docs[:10], total=10, procs=1)  # jieba loaded, files created
        profiler = cProfile.Profile()
        profiler.enable()
        index.rebuild(docs, total=n, procs=1)
        profiler.disable()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    stats = pstats.Stats(profiler).stats  # (file, line, name) -> (cc, nc, tottime, cumtime, callers)

    def cumulative(name: str, file_part: str) -> float:
        return sum(v[3] for k, v in stats.items() if k[2] == name and file_part in k[0])

    total = cumulative("rebuild", "search/engine.py")
    segmentation = cumulative("jieba_tokenize", "search/analysis.py")
    items = cumulative("index_items", "search/analysis.py")  # analysis + the (bytes, count, weight, value) items
    add_document = cumulative("add_document", "search/pool.py")
    finish = cumulative("commit", "whoosh/writing.py")
    parts = [
        ("jieba segmentation (analysis.jieba_tokenize)", segmentation),
        ("counting tokens, title weights, positions", items - segmentation),
        ("pooling postings per term, stored fields, columns", add_document - items),
        ("writing the segment (posting blocks, term table)", finish),
    ]
    parts.append(("other (documents prepared, merges, ...)", total - sum(v for _, v in parts)))
    print(f"\nindexing profile ({n:,} documents, one process):")
    for label, seconds in parts:
        print(f"  {label:52} {seconds / total:6.1%}")


def use_generated_texts(session) -> int:
    """The generated matters' title, content and summary replaced by this benchmark's texts
    (``generate_docs``): ``datagen`` draws its complaints from a few dozen phrases, so that
    nearly every pair of words matches tens of thousands of its matters, while these texts give the
    engine benchmark's "thousands of hits" for a query of two common words."""
    from sqlalchemy import bindparam, select, update

    from supervision.models.matters import Matter

    ids = session.scalars(select(Matter.id).order_by(Matter.id)).all()
    docs = generate_docs(len(ids))
    table = Matter.__table__  # Core: the ORM's bulk update would want each row's version counter
    statement = update(table).where(table.c.id == bindparam("matter_id"))
    for start in range(0, len(ids), 5000):
        rows = []
        for matter_id, doc in zip(ids[start:start + 5000], docs):
            rows.append({"matter_id": matter_id, "title": doc["title"][:120], "content": doc["body"],
                         "summary": doc["body"][:80]})
        session.execute(statement, rows)
    session.commit()
    return len(ids)


def page_against_trivial(args) -> bool:
    """The search page (logged in, a broad two-word query, 20 hits) against a trivial route."""
    from benchmarks.datagen import add_trivial_route, login, make_app, populate, reusable_sqlite
    from supervision.extensions import db
    from supervision.search import service

    app = make_app(reusable_sqlite(args.page_db) if args.page_db else None)
    app.config["SEARCH_ENABLED"] = True
    if args.page_index:
        app.config["SEARCH_INDEX_DIR"] = args.page_index
    with app.app_context():
        if not db.session.execute(db.text("SELECT count(*) FROM matter")).scalar():
            started = time.perf_counter()
            populate(args.matters)
            use_generated_texts(db.session)
            print(f"\npage: {args.matters:,} matters generated in {time.perf_counter() - started:.1f} s")
        if not service.is_ready(service.get_index()):
            t0, cpu0 = time.perf_counter(), _cpu_seconds()
            stats = service.rebuild()
            elapsed = time.perf_counter() - t0
            print(f"page: flask search reindex (database reads included): {stats}; "
                  f"{stats.docs / elapsed:,.0f} docs/s wall, "
                  f"{(_cpu_seconds() - cpu0) * 1000 / max(1, stats.docs):.2f} ms CPU per document")

    add_trivial_route(app)

    clients = {}
    for username in ("bench_supervisor", "bench_dept_head"):
        clients[username] = app.test_client()
        login(clients[username], username)
    # (label, user, path): the supervisor's search includes complainants' identity fields (the
    # complaint's own words), the department head's only their department; every search is held
    # to the target, the word in most matters too
    routes = [("trivial route (logged in)", "bench_supervisor", "/bench/trivial"),
              ("supervisor, 窗口 推诿", "bench_supervisor", "/search/?q=窗口+推诿"),
              ("department head, 窗口 推诿", "bench_dept_head", "/search/?q=窗口+推诿"),
              ("supervisor, 窗口 (one very common word)", "bench_supervisor", "/search/?q=窗口")]
    results = {}
    for label, username, path in routes:
        client = clients[username]
        for _ in range(10):  # warm: templates, jieba, filters
            assert client.get(path).status_code == 200
        wall, cpu = [], []
        for _ in range(args.requests):
            t0, c0 = time.perf_counter(), time.process_time()
            response = client.get(path)
            wall.append((time.perf_counter() - t0) * 1000)
            cpu.append((time.process_time() - c0) * 1000)
            assert response.status_code == 200
        results[label] = (statistics.median(wall), _percentile(wall, 95), statistics.median(cpu))
    html = clients["bench_supervisor"].get(routes[1][2]).get_data(as_text=True)
    assert "<mark>" in html, "the search page found nothing: is the index built?"
    trivial_wall, _, trivial_cpu = results[routes[0][0]]
    verdict = True
    print(f"\nsearch page vs trivial route ({args.requests} requests each, in-process WSGI; "
          f"load average {os.getloadavg()[0]:.1f}):")
    print(f"{'route':40} {'median':>8} {'p95':>8} {'cpu med':>8} {'x trivial':>10}")
    for label, _, path in routes:
        med, p95, cpu_med = results[label]
        ratio, cpu_ratio = med / trivial_wall, cpu_med / trivial_cpu
        passed = ratio <= TARGET_PAGE_RATIO
        verdict &= passed
        mark = "" if path == routes[0][2] else ("  PASS" if passed else "  FAIL")
        print(f"{label:40} {med:7.2f}ms {p95:7.2f}ms {cpu_med:7.2f}ms {ratio:9.1f}x (CPU {cpu_ratio:.1f}x){mark}")
    return verdict


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", type=int, default=100_000)
    parser.add_argument("--procs", type=int, default=None, help="segmenting processes (default: cores)")
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--keep", help="build (or reuse, if it exists) the index in this directory")
    parser.add_argument("--reuse", action="store_true", help="reuse the index in --keep without rebuilding")
    parser.add_argument("--profile", action="store_true", help="profile indexing: what dominates")
    parser.add_argument("--page", action="store_true", help="the search page against a trivial route")
    parser.add_argument("--matters", type=int, default=100_000, help="matters in the --page database")
    parser.add_argument("--page-db", help="a SQLite file for --page, generated once and reused")
    parser.add_argument("--page-index", help="the --page index directory, built once and reused")
    parser.add_argument("--requests", type=int, default=200, help="requests per route for --page")
    args = parser.parse_args(argv)

    tmp = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="bench-search-"))
    ok = True
    try:
        index = SearchIndex(tmp)
        if not args.reuse:
            t0 = time.perf_counter()
            docs = list(generate_docs(args.docs))  # in memory: the generator is not what we measure
            print(f"generated {args.docs:,} documents in {time.perf_counter() - t0:.1f} s; "
                  f"building the index in {tmp} ...", flush=True)
            last = [time.perf_counter()]

            def progress(done: int, total: int | None) -> None:
                if time.perf_counter() - last[0] > 15:
                    last[0] = time.perf_counter()
                    print(f"  {done:,}/{total:,}", flush=True)

            t0, cpu0 = time.perf_counter(), _cpu_seconds()
            stats = index.rebuild(docs, total=args.docs, progress=progress,
                                  procs=args.procs)
            elapsed = time.perf_counter() - t0
            cpu_ms = (_cpu_seconds() - cpu0) * 1000 / args.docs
            del docs
            rate = args.docs / elapsed
            if args.docs >= HELD_DOCS:
                verdict = "PASS" if rate >= TARGET_DOCS_PER_S else "FAIL"
                ok &= rate >= TARGET_DOCS_PER_S
            else:  # starting the indexing processes weighs on a small build: reported only
                verdict = f"not held: fewer than {HELD_DOCS:,} documents; target"
            print(f"index: {rate:,.0f} docs/s ({elapsed:.1f} s) [{verdict} >= {TARGET_DOCS_PER_S:.0f}]; "
                  f"{stats}")
            cores = os.cpu_count() or 1
            print(f"index: {cpu_ms:.2f} ms CPU per document (all processes); the machine's load "
                  f"average {os.getloadavg()[0]:.1f}; with {cores} idle cores that is "
                  f"{cores * 1000 / cpu_ms:,.0f} docs/s at best")
        print(f"index: {index.segment_count()} segment(s), {_dir_size(tmp) / 2**20:.1f} MiB on disk, "
              f"{index.doc_count():,} documents", flush=True)

        t0 = time.perf_counter()
        versions = index.stored_versions()
        print(f"stored_versions(): {len(versions):,} ids in {(time.perf_counter() - t0) * 1000:.0f} ms")

        all_depts = None
        own = {3}
        queries = [
            ("broad two words", "窗口 推诿", dict(departments=all_depts)),
            ("broad two words (2)", "工作人员 材料", dict(departments=all_depts)),
            ("broad, one department", "窗口 推诿", dict(departments=own)),
            ("broad, identity searched too", "窗口 推诿", dict(departments=all_depts, include_identity=True)),
            ("broad, sorted by date", "窗口 推诿", dict(departments=all_depts, sort="date")),
            ("phrase run 政务中心", "政务中心", dict(departments=all_depts)),
            ("phrase run 服务中心窗口", "服务中心窗口", dict(departments=all_depts)),
            ("phrase, sorted by date", "政务中心", dict(departments=all_depts, sort="date")),
            ("complainant name (intake)", "王伟", dict(departments=all_depts, include_identity=True)),
            ("specific", "加急费用 票据 社保卡补办", dict(departments=all_depts)),
            ("specific, one department", "公积金提取 乱收费", dict(departments=own)),
            ("exact number", "XT-2025-00017", dict(departments=all_depts)),
            ("文号", "效整〔2025〕12号", dict(departments=all_depts)),
            ("page 5 of a broad query", "窗口 推诿", dict(departments=all_depts, page=5)),
            ("broad, kind+status filter", "窗口 态度生硬", dict(departments=own, kinds=["matter"],
                                                            statuses=["assigned", "received"])),
        ]
        print(f"\nqueries ({args.repeat} runs each, top 20 with highlights, one reused searcher):")
        print(f"load average {os.getloadavg()[0]:.1f}; ~ estimated total, * time budget ran out")
        print(f"{'query':34} {'hits':>9} {'median':>8} {'p95':>8} {'cpu med':>8} {'cpu p95':>8}")
        for label, text, kwargs in queries:
            kwargs.setdefault("include_identity", False)
            times, cpu, page = _time_query(index, text, args.repeat, **kwargs)
            med, p95 = statistics.median(times), _percentile(times, 95)
            cpu_med, cpu_p95 = statistics.median(cpu), _percentile(cpu, 95)
            passed = med < TARGET_MEDIAN_MS and p95 < TARGET_P95_MS
            ok &= passed
            total = f"{page.total:,}{'' if page.total_exact else '~'}{'*' if page.partial else ''}"
            print(f"{label:34} {total:>9} {med:7.1f}ms {p95:7.1f}ms {cpu_med:7.1f}ms {cpu_p95:7.1f}ms "
                  f"{'PASS' if passed else 'FAIL'}", flush=True)

        # Query times against ground truth (substring search over the generated texts).
        print("\nphrase handling against plain substring search (title + body):")
        texts = {d["id"]: (d["title"] + "\n" + d["body"]).lower() for d in generate_docs(args.docs)}
        for text in ("政务中心", "服务中心窗口", "窗口工作人员", "推诿扯皮", "加急费用", "中心负责人", "态度生硬"):
            truth = {i for i, t in texts.items() if text in t}
            found = set(index.search_ids(text, departments=None, include_identity=False))
            recall = len(found & truth) / len(truth) if truth else 1.0
            precision = len(found & truth) / len(found) if found else 1.0
            print(f"  {text:10} truth {len(truth):>6,}  found {len(found):>6,}  "
                  f"recall {recall:6.1%}  precision {precision:6.1%}")
        page = index.search("窗口 推诿", departments=None, include_identity=False)
        print("\nsample hit:", page.hits[0].number, page.hits[0].title)
        print("  ", page.hits[0].highlight_html)
    finally:
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)
    if args.profile:
        profile_indexing()
    if args.page:
        ok &= page_against_trivial(args)
    print("\nOVERALL:", "PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
