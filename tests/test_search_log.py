"""The search change log under faults: a process killed right after its commit, a killed reindex, ids
that commit out of order, a rebuild on a full disk, pruning, and two servers with their own indexes
sharing only the database."""

from __future__ import annotations

import errno
import http.cookiejar
import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from matters_factories import make_matter, office, storage, today  # noqa: F401
from page_html import csrf_in
from supervision import clock
from supervision.extensions import db
from supervision.matters import services as matter_services
from supervision.models.matters import Matter
from supervision.models.search import SearchChange, SearchLogPrune
from supervision.search import applier, changes, service
from supervision.search.engine import SearchIndex

SCRIPT = Path(__file__).resolve().parent / "search_processes.py"


@pytest.fixture
def search_index(app) -> SearchIndex:
    app.config["SEARCH_ENABLED"] = True
    service.rebuild()
    return service.get_index()


def found(index: SearchIndex, text: str) -> list[str]:
    service.catch_up(index)
    return sorted(index.search_ids(text, departments=None, include_identity=True))


def process_config(app, instance: Path, **extra) -> str:
    """The settings of another process of this deployment (the same database and keys)."""
    shared = {key: app.config[key] for key in ("SQLALCHEMY_DATABASE_URI", "SECRET_KEY", "AUDIT_KEY", "AUDIT_KEY_ID",
                                               "AUDIT_KEYS") if app.config.get(key) is not None}
    return json.dumps({"INSTANCE_PATH": str(instance), **shared, "RATELIMIT_ENABLED": False, "SEARCH_ENABLED": True,
                       **extra})


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(") ")[1][0] != "Z"  # a zombie holds no files
    except (FileNotFoundError, IndexError):
        return False


# --- a process killed right after its commit ------------------------------------------------------
def test_a_change_committed_just_before_a_crash_is_searchable_after_the_restart(app, session, office, make_matter,
                                                                                 search_index):
    matter = make_matter("assigned", summary="群众反映大厅叫号系统经常故障。")
    assert found(search_index, "叫号系统") == [f"matter:{matter.id}"]
    db.engine.dispose()  # SQLite: no connection of ours in the way of the other process's commit

    run = subprocess.run([sys.executable, str(SCRIPT), "save-and-die", process_config(app, Path(app.instance_path)),
                          str(matter.id), "反映停车场乱收费。"], capture_output=True, text=True, timeout=120)
    assert run.returncode == -signal.SIGKILL, run.stderr[-2000:]

    session.expire_all()
    assert session.get(Matter, matter.id).summary == "反映停车场乱收费。"  # committed …
    app.extensions.pop("supervision.search")  # … and this server "restarts"
    assert found(service.get_index(), "乱收费") == [f"matter:{matter.id}"]  # its first search applies it
    assert found(service.get_index(), "叫号系统") == []


# --- a killed reindex ------------------------------------------------------------------------------
def test_a_killed_reindex_leaves_no_process_holding_the_index(app, office, make_matter, search_index):
    matter = make_matter("assigned", summary="群众反映窗口办事拖拉。")
    assert found(search_index, "办事拖拉") == [f"matter:{matter.id}"]
    files_before = set(os.listdir(search_index.path))
    reindex = subprocess.Popen([sys.executable, str(SCRIPT), "slow-reindex",
                                process_config(app, Path(app.instance_path))],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = reindex.stdout.readline()
        assert line.startswith("CHILDREN"), line + reindex.stderr.read()[-2000:]
        children = [int(pid) for pid in line.split()[1:]]
        assert len(children) == 2 and all(alive(pid) for pid in children)
    finally:
        reindex.send_signal(signal.SIGKILL)  # kill -9 of the command, not of its children
        reindex.wait(10)
    deadline = time.monotonic() + 10
    while any(alive(pid) for pid in children) and time.monotonic() < deadline:
        time.sleep(0.1)
    survivors = [pid for pid in children if alive(pid)]
    for pid in survivors:  # the test's own processes: never leave them behind
        os.kill(pid, signal.SIGKILL)
    assert not survivors, "indexing processes outlived the killed reindex"

    writer = search_index._writer(timeout=1.0)  # the lock is free: no survivor holds it
    writer.cancel()
    assert found(search_index, "办事拖拉") == [f"matter:{matter.id}"]  # the old index answers
    result = app.test_cli_runner().invoke(args=["search", "check", "--fix"])
    assert result.exit_code == 0, result.output
    service.rebuild()  # the next rebuild removes what the killed one wrote
    assert set(os.listdir(search_index.path)) - files_before <= {f for f in os.listdir(search_index.path)
                                                                 if f.startswith("_MAIN_") or f.startswith("MAIN_")}
    assert not list(search_index.path.glob("postings-*.run"))
    assert found(search_index, "办事拖拉") == [f"matter:{matter.id}"]


def test_a_rebuild_on_a_full_disk_removes_its_partial_files_and_keeps_the_old_index(app, office, make_matter,
                                                                                     search_index, monkeypatch):
    from supervision.search import documents

    matter = make_matter("assigned", summary="群众反映窗口办事拖拉。")
    assert found(search_index, "办事拖拉") == [f"matter:{matter.id}"]
    files_before = sorted(os.listdir(search_index.path))
    read_all = documents.all_documents

    def disk_fills(session):
        yield from read_all(session)
        yield from ({"id": f"matter:{900000 + n}", "kind": "matter", "title": "窗口", "body": "窗口" * 200,
                     "version": "v"} for n in range(300))
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(documents, "all_documents", disk_fills)
    result = app.test_cli_runner().invoke(args=["search", "reindex"])
    assert result.exit_code == 1 and "重建失败" in result.output and "Traceback" not in result.output, result.output
    assert sorted(os.listdir(search_index.path)) == files_before  # no partial segment, run or job file left
    assert found(search_index, "办事拖拉") == [f"matter:{matter.id}"]
    search_index._writer(timeout=1.0).cancel()  # and the lock was released


def test_a_rebuild_whose_indexing_process_dies_commits_nothing_and_leaves_no_files(app, office, make_matter,
                                                                                    search_index, monkeypatch,
                                                                                    tmp_path):
    """whoosh drops the segment of a dead indexing process without a word and would commit an index
    missing its documents: the rebuild refuses, stops the other process and removes what they wrote.

    The process killed is one that has taken a batch (it says so in a file): killing whichever came first
    was a race — on a loaded machine it had sometimes taken nothing yet, the other process wrote all 3,000
    documents and the commit was rightly whole."""
    import multiprocessing
    import time

    from supervision.search import documents, pool

    process_file = pool._TermPoolTask._process_file

    def process_and_tell(task, filename, doc_count):  # runs in the indexing process (forked)
        process_file(task, filename, doc_count)
        (tmp_path / f"took-{os.getpid()}").touch()

    monkeypatch.setattr(pool._TermPoolTask, "_process_file", process_and_tell)

    matter = make_matter("assigned", summary="群众反映窗口办事拖拉。")
    assert found(search_index, "办事拖拉") == [f"matter:{matter.id}"]
    files_before = sorted(os.listdir(search_index.path))

    def one_dies(session):
        for n in range(1, 3001):
            yield {"id": f"matter:{100000 + n}", "kind": "matter", "title": "窗口投诉", "body": "窗口工作人员推诿。",
                   "version": "v"}
            if n == 1500:  # one that holds documents dies (out of memory, say)
                deadline = time.monotonic() + 30
                while not list(tmp_path.glob("took-*")) and time.monotonic() < deadline:
                    time.sleep(0.05)
                taken = int(next(tmp_path.glob("took-*")).name.split("-")[1])
                assert taken in [child.pid for child in multiprocessing.active_children()]
                os.kill(taken, signal.SIGKILL)

    monkeypatch.setattr(documents, "all_documents", one_dies)
    monkeypatch.setattr(documents, "count_documents", lambda session: 3000)
    with pytest.raises(pool.IncompleteSegments, match="indexing process .* died"):
        service.rebuild(procs=2)
    assert multiprocessing.active_children() == []
    assert sorted(os.listdir(search_index.path)) == files_before
    assert found(search_index, "办事拖拉") == [f"matter:{matter.id}"]  # the old index, whole
    search_index._writer(timeout=1.0).cancel()


@pytest.mark.timeout(90)
def test_a_rebuild_whose_indexing_process_dies_waiting_for_work_fails_instead_of_waiting_for_ever(
        app, office, make_matter, search_index, monkeypatch, tmp_path):
    """An indexing process waiting for its next batch holds the job queue's read lock; killed there (the
    out-of-memory killer picks the largest process, whatever it is doing), it never releases it: the
    other process waits for the lock and the rebuild for room in the full queue — for ever, with the
    index's write lock held (CI once spent its whole budget so). The rebuild notices the dead process,
    stops the other one and fails."""
    import multiprocessing

    from supervision.search import documents, pool

    process_file = pool._TermPoolTask._process_file

    def process_then_die_waiting(task, filename, doc_count):  # runs in the indexing process (forked)
        process_file(task, filename, doc_count)
        try:
            os.close(os.open(tmp_path / "dies", os.O_CREAT | os.O_EXCL))
        except FileExistsError:
            return
        task.jobqueue._rlock.acquire()  # the first to finish a batch waits for the next one …
        os.kill(os.getpid(), signal.SIGKILL)  # … and is killed there

    monkeypatch.setattr(pool._TermPoolTask, "_process_file", process_then_die_waiting)
    matter = make_matter("assigned", summary="群众反映窗口办事拖拉。")
    assert found(search_index, "办事拖拉") == [f"matter:{matter.id}"]
    files_before = sorted(os.listdir(search_index.path))

    def documents_3000(session):
        return ({"id": f"matter:{100000 + n}", "kind": "matter", "title": "窗口投诉", "body": "窗口工作人员推诿。",
                 "version": "v"} for n in range(1, 3001))

    monkeypatch.setattr(documents, "all_documents", documents_3000)
    monkeypatch.setattr(documents, "count_documents", lambda session: 3000)
    with pytest.raises(pool.IncompleteSegments, match="indexing process .* died"):  # before: hung until the timeout
        service.rebuild(procs=2)
    assert multiprocessing.active_children() == []
    assert sorted(os.listdir(search_index.path)) == files_before
    assert found(search_index, "办事拖拉") == [f"matter:{matter.id}"]  # the old index, whole
    search_index._writer(timeout=1.0).cancel()  # and its write lock free


def test_check_fix_reports_a_locked_index_without_a_traceback(app, office, make_matter, search_index):
    make_matter("assigned", summary="群众反映窗口办事拖拉。")
    search_index.delete([key for key in search_index.stored_versions()])  # drift to repair …
    app.config["SEARCH_LOCK_TIMEOUT"] = 0.1
    app.extensions.pop("supervision.search")
    holder = service.get_index()._ix.writer()  # … while another process writes the index
    try:
        result = app.test_cli_runner().invoke(args=["search", "check", "--fix"])
    finally:
        holder.cancel()
    assert result.exit_code == 1 and "Traceback" not in result.output, result.output
    assert "检索索引正被其他进程写入或重建" in result.output
    assert app.test_cli_runner().invoke(args=["search", "check", "--fix"]).exit_code == 0


# --- the log itself --------------------------------------------------------------------------------
def test_the_log_row_is_written_in_the_changes_transaction(app, session, office, make_matter):
    matter = make_matter("assigned")
    last = session.scalar(select(SearchChange.id).order_by(SearchChange.id.desc()).limit(1))
    matter_services.update_summary(session, office.intake, matter, "反映停车场乱收费。", matter.version)
    session.flush()
    with Session(db.engine) as other:  # not visible before the commit …
        assert other.scalars(select(SearchChange.document).where(SearchChange.id > last)).all() == []
    session.rollback()
    assert session.scalars(select(SearchChange.id).where(SearchChange.id > last)).all() == []  # … nor after a rollback
    matter = session.get(Matter, matter.id)
    matter_services.update_summary(session, office.intake, matter, "反映停车场乱收费。", matter.version)
    session.commit()
    assert session.scalars(select(SearchChange.document).where(SearchChange.id > last)).all() == [f"matter:{matter.id}"]


def test_a_rolled_back_savepoint_does_not_lose_the_outer_change(app, session, office, make_matter):
    matter = make_matter("assigned")
    last = session.scalar(select(SearchChange.id).order_by(SearchChange.id.desc()).limit(1))
    with session.begin_nested() as savepoint:
        matter_services.update_summary(session, office.intake, matter, "反映停车场乱收费。", matter.version)
        session.flush()
        savepoint.rollback()
    session.refresh(matter)
    matter_services.update_summary(session, office.intake, matter, "反映停车场乱收费。", matter.version)
    session.commit()
    assert session.scalars(select(SearchChange.document).where(SearchChange.id > last)).all() == [f"matter:{matter.id}"]


@pytest.mark.postgres_only
def test_an_id_that_commits_after_a_higher_one_is_applied(app, session, office, make_matter, search_index, database_url):
    """PostgreSQL hands out ids at insert and commits later: the server applies 2 before 1 commits,
    keeps 1 as a gap, and applies it when it turns up; an id that never commits is dropped later."""
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite serialises writers: ids commit in order")
    first, second = make_matter("assigned"), make_matter("assigned")
    service.apply_pending()
    with Session(db.engine) as slow, Session(db.engine) as quick:
        changes.record_change(slow, "matter", first.id)  # id n, held by a long transaction
        slow.execute(Matter.__table__.update().where(Matter.id == first.id).values(summary="长事务里的燃气开户问题"))
        changes.record_change(quick, "matter", second.id)  # id n+1, committed first
        quick.execute(Matter.__table__.update().where(Matter.id == second.id).values(summary="短事务里的违规收费问题"))
        quick.commit()
        assert found(search_index, "违规收费") == [f"matter:{second.id}"]
        state = applier.read_position(search_index.path)
        assert len(state.gaps) == 1 and state.gaps[0][0] == state.gaps[0][1] == state.position - 1
        slow.commit()
    assert found(search_index, "燃气开户") == [f"matter:{first.id}"]
    assert applier.read_position(search_index.path).gaps == []

    with Session(db.engine) as doomed:  # an id that rolls back …
        changes.record_change(doomed, "matter", first.id)
        with Session(db.engine) as later:
            changes.record_change(later, "matter", second.id)
            later.commit()
        doomed.rollback()
    service.apply_pending()
    assert len(applier.read_position(search_index.path).gaps) == 1
    app.config["SEARCH_LOG_GAP_SECONDS"] = 0  # … is watched for the horizon, then dropped
    time.sleep(0.01)
    service.apply_pending()
    assert applier.read_position(search_index.path).gaps == []


def test_gap_ranges_shrink_as_ids_turn_up_and_stay_bounded():
    assert applier._remaining([[10, 20, 1.0]], [10, 15, 20]) == [[11, 14, 1.0], [16, 19, 1.0]]
    assert applier._remaining([[10, 12, 1.0]], [10, 11, 12]) == []
    many = [[n * 10, n * 10 + 1, float(n)] for n in range(applier.MAX_GAP_RANGES + 5)]
    bounded = applier._bounded(many)
    assert len(bounded) == applier.MAX_GAP_RANGES
    covered = {i for lo, hi, _ in bounded for i in range(int(lo), int(hi) + 1)}
    assert all(i in covered for lo, hi, _ in many for i in range(lo, hi + 1))  # nothing unwatched


def test_prune_deletes_old_rows_and_a_server_behind_them_rebuilds(app, session, office, make_matter, search_index):
    stale_position = applier.read_position(search_index.path)  # before the matter was registered
    old = make_matter("assigned", summary="群众反映窗口办事拖拉。")
    service.apply_pending()
    with clock.frozen(clock.now().replace(year=clock.now().year + 1)):  # a year on …
        matter = session.get(Matter, old.id)
        matter_services.update_summary(session, office.intake, matter, "反映停车场乱收费。", matter.version)
        session.commit()
        newest = session.scalar(select(SearchChange.id).order_by(SearchChange.id.desc()).limit(1))
        result = app.test_cli_runner().invoke(args=["search", "prune", "--days", "30"])
    assert result.exit_code == 0, result.output
    assert session.scalars(select(SearchChange.id)).all() == [newest]  # the year-old rows are gone
    assert session.scalar(select(SearchLogPrune.pruned_through)) == newest - 1
    assert session.get(Matter, old.id) is not None  # case data untouched

    applier.write_position(search_index.path, stale_position)  # a server switched off for that year
    assert service.apply_pending().needs_rebuild
    result = app.test_cli_runner().invoke(args=["search", "apply"])
    assert result.exit_code == 0 and "重建" in result.output, result.output
    assert found(search_index, "乱收费") == [f"matter:{old.id}"]
    assert applier.read_position(search_index.path).position == newest

    with clock.frozen(clock.now().replace(year=clock.now().year + 2)):  # a log pruned to nothing …
        assert app.test_cli_runner().invoke(args=["search", "prune", "--days", "30"]).exit_code == 0
    assert session.scalars(select(SearchChange.id)).all() == []
    service.rebuild()  # … still gives a rebuilt index a position at or past what was pruned
    assert not service.apply_pending().needs_rebuild


def test_a_search_does_not_wait_behind_a_large_backlog(app, session, office, make_matter, search_index):
    """A large import waits in the log: a search answers at once from the index, saying it is being
    updated, and leaves the work to the background applier."""
    from matters_factories import signed_in

    before = applier.read_position(search_index.path).position
    app.config["SEARCH_CATCH_UP_MAX_ROWS"] = 1
    make_matter("assigned", summary="群众反映大厅叫号系统经常故障。")
    make_matter("assigned", summary="群众反映大厅叫号系统经常故障。")
    page = signed_in(app, office.intake).get("/search/", query_string={"q": "叫号系统"}).get_data(as_text=True)
    assert "检索索引正在更新" in page
    assert applier.read_position(search_index.path).position == before
    service.apply_pending()
    page = signed_in(app, office.intake).get("/search/", query_string={"q": "叫号系统"}).get_data(as_text=True)
    assert "检索索引正在更新" not in page and "找到 2 条结果" in re.sub(r"<[^>]+>", "", page)


def test_status_tells_the_position_and_how_far_behind(app, session, office, make_matter, search_index):
    runner = app.test_cli_runner()
    make_matter("assigned")
    result = runner.invoke(args=["search", "status"])
    assert result.exit_code == 0 and re.search(r"未应用 [1-9]\d* 条", result.output), result.output
    assert runner.invoke(args=["search", "apply"]).exit_code == 0
    result = runner.invoke(args=["search", "status"])
    assert result.exit_code == 0 and "未应用 0 条" in result.output, result.output
    (search_index.path / service.READY_FILE).unlink()
    result = runner.invoke(args=["search", "status"])
    assert result.exit_code == 1 and "尚未建立" in result.output and "Traceback" not in result.output


# --- two servers, one database ---------------------------------------------------------------------
class Browser:
    """A user's browser against a real HTTP server: cookies, and the CSRF token of the login form."""

    def __init__(self, base: str):
        self.base = base
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def get(self, path: str, **params) -> str:
        url = self.base + path + ("?" + urllib.parse.urlencode(params) if params else "")
        with self.opener.open(url, timeout=60) as response:
            return response.read().decode("utf-8")

    def login(self, username: str, password: str = "pass1234") -> None:
        page = self.get("/login")
        data = urllib.parse.urlencode({"csrf_token": csrf_in(page), "username": username,
                                       "password": password}).encode()
        with self.opener.open(self.base + "/login", data=data, timeout=60) as response:
            assert "/login" not in response.geturl(), "login failed"


def test_a_matter_saved_on_one_server_is_found_on_another_with_its_own_index(app, session, office, make_matter,
                                                                             search_index, tmp_path):
    """Server A is this test's application; server B is another process with its own instance folder
    and index, sharing only the database. B builds its index by itself; its background thread applies
    A's change without any search asking, and B's search page finds it."""
    matter = make_matter("assigned", summary="群众反映大厅叫号系统经常故障。")
    other = tmp_path / "server-b"
    other.mkdir()
    db.engine.dispose()
    server = subprocess.Popen([sys.executable, str(SCRIPT), "serve",
                               process_config(app, other, SEARCH_APPLY_INTERVAL=0.2)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = server.stdout.readline()
        assert line.startswith("PORT"), line + server.stderr.read()[-3000:]
        b = Browser(f"http://127.0.0.1:{line.split()[1]}")
        b.login(office.intake.username)
        b_index = other / "search_index"
        deadline = time.monotonic() + 60  # a new server builds its own index, in the background
        while applier.read_position(b_index) is None and time.monotonic() < deadline:
            time.sleep(0.2)
        assert applier.read_position(b_index) is not None, "server B did not build its index"
        assert f'href="/matters/{matter.id}"' in b.get("/search/", q="叫号系统")
        assert b_index.is_dir() and not b_index.is_relative_to(app.instance_path)

        matter = session.get(Matter, matter.id)  # saved through server A
        matter_services.update_summary(session, office.intake, matter, "反映停车场乱收费。", matter.version)
        session.commit()
        change = session.scalar(select(SearchChange.id).order_by(SearchChange.id.desc()).limit(1))

        deadline = time.monotonic() + 30  # B's own thread applies it, no search asking
        while time.monotonic() < deadline:
            position = applier.read_position(b_index)
            if position is not None and position.covers(change):
                break
            time.sleep(0.1)
        assert applier.read_position(b_index).covers(change), "server B's applier did not apply the change"
        page = b.get("/search/", q="乱收费")
        assert f'href="/matters/{matter.id}"' in page and "检索索引正在更新" not in page
        assert f"/matters/{matter.id}" not in b.get("/search/", q="叫号系统")
        assert found(search_index, "乱收费") == [f"matter:{matter.id}"]  # and A's own index, separately
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            server.kill()
