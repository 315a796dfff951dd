"""The search index: whoosh with a jieba tokenizer, for Chinese case files.

No Flask, no database: documents come in as plain dicts and results go out as dataclasses. The
caller decides what goes into a document (in particular, only the ``identity`` field may hold
what a department must never see) and passes the viewer's rights to every search.

Design, in short (the figures behind it: ``benchmarks/bench_search.py``):

- **One indexed text field.** ``text`` = title + body (title tokens weighted 3x), scored with
  tf·idf, counts and weights only (no positions); title and body are only stored, for display,
  highlighting and phrase checks. An OR of a title and a body field per word costs twice the
  postings for every word.
- **Evaluation on arrays** (:mod:`.matching`): posting lists are decoded a block at a time into
  sorted NumPy arrays and intersected, merged, scored and ranked with vectorised operations; only
  the documents that can reach the page are checked for phrases and read, one by one (whoosh's
  own matchers and collectors cost tens of times more: docs/benchmarks.md).
- **Phrases.** A run of CJK text typed into the box (政务中心) must match that run, not 政务 AND
  中心 anywhere in the file. The run is tiled by the finest dictionary words the index holds
  (see :mod:`.analysis`); documents with all of them are candidates, and a candidate matches if
  its stored title or body contains the run (in ``identity``, which is not stored, if every token
  sits at its character offset from the first). The check runs lazily, in rank order, until the
  page is full. Words separated by spaces are ANDed; each may match ``text`` (and ``identity``,
  if allowed) or a number.
- **Permissions inside the query.** The departments a viewer may see, and the filters chosen on
  the page, become one sorted array of document numbers per segment, intersected with the candidates
  before anything is scored; cached per segment (segments never change, deletions are applied
  per query). The identity field is not searched at all unless ``include_identity``.
- **Processes.** One writer at a time (whoosh's lock file, retried until a timeout, then
  :class:`IndexBusy`). Readers are never blocked: one searcher per index per process,
  ``refresh()``-ed (cheap when nothing changed) under a lock before each query.
"""

from __future__ import annotations

import functools
import json
import logging
import math
import os
import random
import shutil
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime, time as dtime
from functools import reduce
from pathlib import Path
from typing import Any

import numpy as np
from whoosh import fields, scoring
from whoosh import index as whoosh_index
from whoosh.codec.whoosh3 import W3Codec
from whoosh.filedb.filestore import FileStorage
from whoosh.index import LockError
from whoosh.reading import ReaderClosed
from whoosh.writing import CLEAR

from supervision.search.analysis import (
    ANALYSIS_FORMAT,
    TITLE_BOOST,
    TITLE_SEPARATOR,
    CharPositions,
    JiebaTokenizer,
    NumberTokenizer,
    TermWeights,
    warm_up,
)
from supervision.search import segment_files
from supervision.search.matching import (
    DOC,
    NO_DOCS,
    Budget,
    Candidates,
    PostingCache,
    SegmentCache,
    SegmentQuery,
    deleted_docs,
    difference,
    has_phrase,
    intersect,
    numeric_column,
    segment_key,
    term_docs,
    union,
)
from supervision.search.pool import TermPoolMpWriter, TermPoolSegmentWriter
from supervision.search.query import (  # noqa: F401  (moved out of this module; importable here as before)
    FRAGMENT_CHARS,
    MAX_QUERY_CHARS,
    MAX_QUERY_WORDS,
    MAX_TOKENS_PER_RUN,
    NUMBER_BOOST,
    CheckReport,
    Hit,
    ParsedQuery,
    RebuildStats,
    SearchPage,
    highlight,
    parse_query,
)

segment_files.install()  # a segment's parts read from its memory map, not copied (segment_files.py)
log = logging.getLogger(__name__)

MAX_PER_PAGE = 100
FORMAT_FILE = "supervision-search.json"
# tf·idf, no length normalisation: complaint texts are 100–400 characters (and matching.py
# computes exactly whoosh's TF_IDF: weight × idf × boost, idf from the searcher).
WEIGHTING = scoring.TF_IDF()
_VERIFY_ALL = 200  # phrase candidates up to this many are all checked: an exact total
_VERIFY_SAMPLE = 100  # beyond, the total is estimated from at least this many
_VERIFY_SAMPLE_MATCHES = 20  # … holding at least this many matches (±25% or better) …
_VERIFY_SAMPLE_MAX = 600  # … or from this many


class SearchIndexError(Exception):
    """Base class of the errors a caller should record for ``search check`` / reindex."""


class IndexBusy(SearchIndexError):
    """Another process held the index's write lock for longer than the timeout."""


class IndexNeedsRebuild(SearchIndexError):
    """The index on disk was written by an incompatible version of the analyzer or schema."""


def make_schema() -> fields.Schema:
    identity = fields.TEXT(analyzer=JiebaTokenizer("search"))
    identity.format = CharPositions()  # phrases (names) are checked on positions: never stored
    text = fields.TEXT(analyzer=JiebaTokenizer("search", title_boost=TITLE_BOOST), phrase=False)
    text.format = TermWeights()  # phrases are checked on the stored title and body
    # read as columns only (date filter and order; check()): one or more terms per document each,
    # never searched, were a tenth of the indexing time
    created = fields.DATETIME(stored=True, sortable=True)
    created.indexed = False
    version = fields.ID(stored=True, sortable=True)
    version.indexed = False
    return fields.Schema(
        id=fields.ID(unique=True, stored=True, sortable=True),  # "matter:123"
        kind=fields.ID(stored=True),  # matter / notice / talk …
        number=fields.ID(stored=True, analyzer=NumberTokenizer()),  # XT-2026-00017, 效整〔2026〕12号
        title=fields.STORED(),  # shown and highlighted; searched through ``text``
        body=fields.STORED(),  # highlighting and phrase checks need the text
        text=text,  # title + body
        identity=identity,  # not stored; searched only when allowed; never shown
        department_ids=fields.KEYWORD(commas=True),  # lead + co-handling departments
        status=fields.ID(),
        matter_kind=fields.ID(),
        created=created,
        version=version,  # row version / updated_at, for check()
    )


def schema_signature(schema: fields.Schema) -> dict[str, list]:
    """What an index's layout depends on, per field: an index written with another signature is
    rebuilt rather than read with the wrong assumptions (e.g. positions that are not there)."""
    def describe(obj) -> str | None:
        if obj is None:
            return None
        attrs = {k: v for k, v in sorted(vars(obj).items()) if isinstance(v, (str, int, float, bool))}
        return f"{type(obj).__module__}.{type(obj).__qualname__}{attrs}"

    return {name: [describe(f), describe(f.format), describe(f.analyzer if hasattr(f, "analyzer") else None),
                   bool(f.stored), bool(f.scorable), describe(f.column_type)]
            for name, f in sorted(schema.items())}


SCHEMA = make_schema()


class TfIdfCodec(W3Codec):
    """whoosh's file format, written without the per-block document-length statistics: only
    BM25-style scoring reads them, and collecting them looked up every posting's document length
    (~11% of the indexing time). Segments record their codec by this class's import path."""

    length_stats = False

    def __init__(self, blocklimit: int = 512, compression: int = 3, inlinelimit: int = 1):
        # 512 postings a block, not 128: queries decode whole posting lists, and the per-block
        # overhead (read, unpickle, inflate) cost more than the postings themselves
        super().__init__(blocklimit=blocklimit, compression=compression, inlinelimit=inlinelimit)


@functools.cache
def _format_description() -> dict:
    """The contents of FORMAT_FILE, written when an index is created: what it was built with."""
    return {"analysis_format": ANALYSIS_FORMAT, "schema": schema_signature(SCHEMA)}


# --- documents -------------------------------------------------------------------------------

def version_text(version: Any) -> str:
    """Versions are compared as text: ints, datetimes (isoformat) and strings all work."""
    if version is None:
        return ""
    if isinstance(version, (datetime, date)):
        return version.isoformat()
    return str(version)


def _document_fields(doc: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"id": str(doc["id"]), "version": version_text(doc.get("version"))}
    for name in ("kind", "number", "status", "matter_kind"):
        value = doc.get(name)
        if value not in (None, ""):
            out[name] = str(value)
    for name in ("title", "body", "identity"):
        value = doc.get(name)
        if isinstance(value, (list, tuple)):
            value = "\n".join(str(v) for v in value if v)  # keeps name, phone, address apart
        if value:
            out[name] = str(value)
    if out.get("title") or out.get("body"):
        out["text"] = out.get("title", "") + TITLE_SEPARATOR + out.get("body", "")
    departments = doc.get("department_ids")
    if departments:
        out["department_ids"] = ",".join(str(d) for d in departments)
    created = doc.get("created")
    if isinstance(created, datetime):
        out["created"] = created
    elif isinstance(created, date):
        out["created"] = datetime.combine(created, dtime.min)
    return out


# --- the index -------------------------------------------------------------------------------

class _Shared:
    """Per process and index directory: the index object, THE searcher, and filter sets."""

    def __init__(self) -> None:
        self.pid = os.getpid()
        self.lock = threading.Lock()
        self.ix = None
        self.searcher = None
        self.segments = SegmentCache()  # filter sets and columns per segment (never mutated)
        self.postings = PostingCache()  # decoded posting lists of common words, per segment


_shared: dict[str, _Shared] = {}
_shared_lock = threading.Lock()


def _shared_for(path: Path) -> _Shared:
    key = os.path.realpath(path)
    with _shared_lock:
        state = _shared.get(key)
        if state is None or state.pid != os.getpid():  # a forked worker opens its own files
            state = _shared[key] = _Shared()
        return state


class SearchIndex:
    """A whoosh index in a directory (created if missing). Cheap to construct: the open index
    and its searcher are shared by every instance for the same path in a process."""

    def __init__(self, path: str | Path, *, lock_timeout: float = 5.0,
                 time_budget: float | None = 0.15):
        self.path = Path(path)
        self.lock_timeout = lock_timeout
        self.time_budget = time_budget  # seconds for ranking one page; None: no limit
        self._state = _shared_for(self.path)
        with self._state.lock:
            if self._state.ix is None:
                self._state.ix = self._open_or_create()

    # opening --------------------------------------------------------------------------------
    def _open_or_create(self):
        self.path.mkdir(parents=True, exist_ok=True)
        storage = FileStorage(str(self.path))
        if not whoosh_index.exists_in(str(self.path)):
            lock = storage.lock("supervision_CREATE")  # two workers starting at once
            if not _acquire(lock, 30.0):
                raise IndexBusy(f"cannot create the search index in {self.path}")
            try:
                if not whoosh_index.exists_in(str(self.path)):
                    whoosh_index.create_in(str(self.path), SCHEMA)
                    self._write_format()
            finally:
                lock.release()
        try:
            ix = whoosh_index.open_dir(str(self.path))
            ix.schema  # noqa: B018  (unpickling fails here if the analyzer classes moved)
        except Exception:  # an index this code cannot read: only a rebuild helps
            log.exception("search index in %s cannot be opened; rebuild it", self.path)
            return None
        return ix

    def _format_path(self) -> Path:
        return self.path / FORMAT_FILE

    def _write_format(self) -> None:
        tmp = self.path / (FORMAT_FILE + f".{os.getpid()}")
        tmp.write_text(json.dumps(_format_description()))
        os.replace(tmp, self._format_path())

    @property
    def needs_rebuild(self) -> bool:
        """True when the index on disk was built by an incompatible analyzer or schema."""
        if self._state.ix is None:
            return True
        try:
            stored = json.loads(self._format_path().read_text())
        except (OSError, ValueError):
            return True
        return stored != _format_description()

    @property
    def _ix(self):
        ix = self._state.ix
        if ix is None:
            raise IndexNeedsRebuild(f"the search index in {self.path} must be rebuilt")
        return ix

    def generation(self) -> int:
        """Which commit of the index is on disk (whoosh's table of contents): a page kept from what the
        index answered (web.once) names it, so a rebuild or a repair is seen at once."""
        return self._ix.latest_generation()

    def _searcher(self):
        state = self._state
        with state.lock:
            if state.searcher is None:
                state.searcher = self._ix.searcher(weighting=WEIGHTING)
            else:
                fresh = state.searcher.refresh()
                if fresh is not state.searcher:
                    state.searcher = fresh
            return state.searcher

    def _writer(self, timeout: float | None = None, factory: Callable | None = None, **kwargs):
        factory = factory or self._ix.writer
        try:
            return factory(timeout=self.lock_timeout if timeout is None else timeout,
                           delay=0.05, codec=TfIdfCodec(), **kwargs)
        except LockError as exc:
            raise IndexBusy(f"the search index in {self.path} is being written by another process") from exc

    # writing --------------------------------------------------------------------------------
    def upsert(self, docs: Iterable[Mapping[str, Any]]) -> int:
        """Add or replace documents (by ``id``) in one commit. Raises :class:`IndexBusy`."""
        prepared = [_document_fields(doc) for doc in docs]
        if not prepared:
            return 0
        writer = self._writer()
        try:
            # whoosh's update_document opens a searcher per document (half the time of a batch):
            # one searcher removes the old versions, then the new ones are added
            with writer.searcher() as searcher:
                for doc in prepared:
                    writer.delete_by_term("id", doc["id"], searcher=searcher)
            for doc in prepared:
                writer.add_document(**doc)
        except BaseException:
            writer.cancel()
            raise
        writer.commit()
        return len(prepared)

    def delete(self, ids: Iterable[str]) -> int:
        """Remove documents by id (unknown ids are ignored). Raises :class:`IndexBusy`."""
        ids = [str(i) for i in ids]
        if not ids:
            return 0
        writer = self._writer()
        try:
            with writer.searcher() as searcher:
                removed = sum(writer.delete_by_term("id", i, searcher=searcher) for i in ids)
        except BaseException:
            writer.cancel()
            raise
        writer.commit()
        return removed

    def rebuild(self, docs: Iterable[Mapping[str, Any]], total: int | None = None,
                progress: Callable[[int, int | None], None] | None = None, *,
                procs: int | None = None, lock_timeout: float = 60.0) -> RebuildStats:
        """Replace the whole index by ``docs``, in one commit under the write lock: readers keep
        the old generation until the commit; writers wait, then get :class:`IndexBusy` (record
        them, or run :meth:`check` afterwards for changes made while this ran).

        With ``procs`` > 1, whoosh's multiprocessing writer segments text in parallel and keeps
        one segment per process (no final merge); every process pools postings per term
        (:mod:`supervision.search.pool`)."""
        started = time.perf_counter()
        warm_up()  # forked indexing processes inherit the loaded dictionary
        if self.needs_rebuild:
            self._recreate(lock_timeout)
        if procs is None:
            procs = min(2, os.cpu_count() or 1)
        if total is not None and total < 2000:
            procs = 1  # starting processes costs more than it saves
        if procs > 1:
            factory = functools.partial(TermPoolMpWriter, self._ix, procs=procs, batchsize=200)
        else:
            factory = functools.partial(TermPoolSegmentWriter, self._ix)
        self.remove_unused_files(lock_timeout)  # what a killed or failed rebuild left behind
        writer = self._writer(timeout=lock_timeout, factory=factory, limitmb=128)
        seen: set[str] = set()
        duplicates = 0
        try:
            for doc in docs:
                prepared = _document_fields(doc)
                if prepared["id"] in seen:
                    duplicates += 1
                    continue
                seen.add(prepared["id"])
                writer.add_document(**prepared)
                if progress and len(seen) % 1000 == 0:
                    progress(len(seen), total)
            writer.commit(mergetype=CLEAR)
        except BaseException:
            # a full disk, a dead indexing process, Ctrl-C: the old generation stays the index, and
            # the new segments written so far are removed (they would keep the disk full)
            _abandon(writer)
            self.remove_unused_files(lock_timeout)
            raise
        if progress:
            progress(len(seen), total)
        searcher = self._searcher()
        if searcher.doc_count() != len(seen):
            # whoosh's multiprocessing writer drops a sub-segment silently if its process dies
            raise SearchIndexError(f"rebuild indexed {searcher.doc_count()} of {len(seen)} documents")
        return RebuildStats(docs=len(seen), seconds=time.perf_counter() - started,
                            segments=self.segment_count(), duplicates=duplicates)

    def _recreate(self, lock_timeout: float) -> None:
        """A fresh, empty index with the current schema, for an index this code cannot read."""
        storage = FileStorage(str(self.path))
        lock = storage.lock(f"{whoosh_index._DEF_INDEX_NAME}_WRITELOCK")
        if not _acquire(lock, lock_timeout):
            raise IndexBusy(f"the search index in {self.path} is being written by another process")
        try:
            whoosh_index.create_in(str(self.path), SCHEMA)
            self._write_format()
        finally:
            lock.release()
        with self._state.lock:
            self._state.ix = whoosh_index.open_dir(str(self.path))
            self._state.searcher = None

    def remove_unused_files(self, lock_timeout: float = 5.0) -> int:
        """Delete what no generation of the index uses: segments, postings runs and job files of a
        writer that failed or was killed. Under the write lock (no writer is at work); how many."""
        storage = FileStorage(str(self.path))
        lock = storage.lock(f"{whoosh_index._DEF_INDEX_NAME}_WRITELOCK")
        if not _acquire(lock, lock_timeout):
            return 0
        try:
            before = set(os.listdir(self.path))
            ix = self._state.ix
            if ix is not None:
                whoosh_index.clean_files(storage, whoosh_index._DEF_INDEX_NAME, ix.latest_generation(),
                                         ix._segments())
            for leftover in (*self.path.glob("postings-*.run"), *self.path.glob(f"{FORMAT_FILE}.*")):
                leftover.unlink(missing_ok=True)
            shutil.rmtree(self.path / f"{whoosh_index._DEF_INDEX_NAME}.tmp", ignore_errors=True)  # job files
            removed = len(before - set(os.listdir(self.path)))
        finally:
            lock.release()
        if removed:
            log.warning("search index in %s: removed %d file(s) left by an unfinished write", self.path, removed)
        return removed

    def optimize(self, lock_timeout: float = 60.0) -> None:
        """Merge all segments into one. Minutes at 100k documents: a maintenance command only."""
        writer = self._writer(timeout=lock_timeout)
        writer.commit(optimize=True)

    # consistency ----------------------------------------------------------------------------
    def stored_versions(self) -> dict[str, str]:
        """``{id: version}`` of every indexed document, read from two columns (no stored texts)."""
        searcher = self._searcher()
        reader = searcher.reader()
        if reader.doc_count_all() == 0:  # whoosh's EmptyReader has no columns
            return {}
        ids = reader.column_reader("id")
        versions = reader.column_reader("version")
        return {ids[n]: versions[n] for n in reader.all_doc_ids()}

    def check(self, expected: Mapping[str, Any]) -> CheckReport:
        """Compare the index with ``{id: version}`` from the database."""
        stored = self.stored_versions()
        wanted = {str(k): version_text(v) for k, v in expected.items()}
        return CheckReport(
            missing=sorted(k for k in wanted if k not in stored),
            stale=sorted(k for k, v in wanted.items() if k in stored and stored[k] != v),
            extra=sorted(k for k in stored if k not in wanted),
        )

    def doc_count(self) -> int:
        return self._searcher().doc_count()

    def segment_count(self) -> int:
        return len(self._ix._segments())

    # searching ------------------------------------------------------------------------------
    def search(self, text: Any, *, departments: set[int] | None, include_identity: bool,
               kinds: Iterable[str] | None = None, statuses: Iterable[str] | None = None,
               matter_kinds: Iterable[str] | None = None, department: int | None = None,
               date_from: date | datetime | None = None, date_to: date | datetime | None = None,
               sort: str = "relevance", page: int = 1, per_page: int = 20) -> SearchPage:
        """One page of hits for the search box ``text``, as seen by a viewer who may see
        ``departments`` (None: all) and, if ``include_identity``, search complainants' identity.
        Never raises for what was typed; an empty or unusable query gives an empty page."""
        try:
            page = max(1, int(page))
            per_page = max(1, min(MAX_PER_PAGE, int(per_page)))
        except (TypeError, ValueError):
            page, per_page = 1, 20
        if departments is not None and not departments:
            return SearchPage.empty(page, per_page)
        parsed = parse_query(text, self._text_fields(include_identity))
        if parsed.tree is None:
            return SearchPage.empty(page, per_page)
        scope = _filter_key(departments, kinds, statuses, matter_kinds, department, date_from, date_to)
        for attempt in (1, 2):
            try:
                return self._search_page(parsed, scope, sort, page, per_page)
            except ReaderClosed:  # another thread's refresh() closed a merged-away segment
                if attempt == 2:
                    raise
            except SearchIndexError:
                log.warning("search index in %s is unusable; rebuild it", self.path)
                break
        return SearchPage.empty(page, per_page)

    def _candidates(self, searcher, tree, scope, budget) -> Candidates:
        """Per segment: the query and the (local) documents that match it relaxed, that the
        viewer may see, and that are not deleted."""
        found = []
        for reader, offset in searcher.reader().leaf_readers():
            if reader.doc_count_all() == 0:
                continue
            allowed = self._allowed(reader, scope)
            if allowed is not None and not len(allowed):
                continue
            segment_query = SegmentQuery(searcher, reader, offset, tree, budget, self._state.postings)
            if allowed is not None and len(allowed) < segment_query.estimate(tree):
                docs = segment_query.restrict(tree, allowed)  # a department's documents, probed
            else:
                docs = segment_query.keys()
                docs = intersect(docs, allowed) if allowed is not None else docs
            found.append((segment_query, difference(docs, deleted_docs(reader))))
        return Candidates(found)

    def _search_page(self, parsed, scope, sort, page, per_page) -> SearchPage:
        searcher = self._searcher()
        budget = Budget(self.time_budget)
        candidates = self._candidates(searcher, parsed.tree, scope, budget)
        by_date = sort == "date"  # the newest first, also among equal dates
        keyed = candidates.by_column(self._created) if by_date else candidates.by_score()
        limit = page * per_page
        if not has_phrase(parsed.tree):
            ranked, complete = keyed.best(limit, not by_date), True
            total, total_exact = len(keyed), True
        else:
            # the phrase check has a budget of its own: reading the postings may have used the first
            ranked, complete = _verified(keyed, limit, not by_date, candidates.exact, Budget(self.time_budget))
            total, total_exact = _phrase_total(keyed, candidates.exact, ranked, limit)
        partial = budget.ran_out or not complete
        if partial:  # the budget ran out: the phrase check may have stopped early
            total_exact = False
        hits = []
        for docnum in ranked[(page - 1) * per_page:limit]:
            stored = candidates.stored_fields(docnum)
            hits.append(Hit(
                id=stored["id"], kind=stored.get("kind", ""), number=stored.get("number", ""),
                title=stored.get("title", ""),
                highlight_html=highlight(stored.get("body", ""), parsed.terms),
                title_html=highlight(stored.get("title", ""), parsed.terms, whole=True),
                score=0.0 if by_date else float(keyed.key_of(docnum)), created=stored.get("created"),
            ))
        return SearchPage(total=total, hits=hits, page=page, pages=math.ceil(total / per_page),
                          per_page=per_page, total_exact=total_exact, partial=partial)

    def search_ids(self, text: Any, *, departments: set[int] | None, include_identity: bool,
                   limit: int | None = None, **filters) -> list[str]:
        """Matching ids, unranked (for the matter list, exports and tests); same rules as
        :meth:`search`. All of them in index order, or, with ``limit``, the ``limit`` newest."""
        if departments is not None and not departments:
            return []
        parsed = parse_query(text, self._text_fields(include_identity))
        if parsed.tree is None:
            return []
        scope = _filter_key(departments, filters.get("kinds"), filters.get("statuses"),
                            filters.get("matter_kinds"), filters.get("department"),
                            filters.get("date_from"), filters.get("date_to"))
        candidates = self._candidates(self._searcher(), parsed.tree, scope, Budget(None))
        phrase = has_phrase(parsed.tree)
        if limit is None:
            found = [d for d in candidates.in_index_order() if not phrase or candidates.exact(d)]
        elif phrase:
            found, _ = _verified(candidates.by_column(self._created), limit, False, candidates.exact,
                                 Budget(None))
        else:
            found = candidates.by_column(self._created).best(limit, False)
        columns: dict[int, Any] = {}  # the id column of each segment
        ids = []
        for docnum in found:
            segment_query, n = candidates.local(docnum)
            column = columns.get(segment_query.offset)
            if column is None:
                column = columns[segment_query.offset] = segment_query.reader.column_reader("id")
            ids.append(column[n])
        return ids

    @staticmethod
    def _text_fields(include_identity: bool) -> tuple[str, ...]:
        return ("text", "identity") if include_identity else ("text",)

    def _created(self, reader) -> np.ndarray:
        """The sortable ``created`` value of every document of a segment (cached per segment)."""
        return self._state.segments.get((segment_key(reader), "created"),
                                        lambda: numeric_column(reader, "created"))

    def _allowed(self, reader, scope: tuple) -> np.ndarray | None:
        """The (local) documents of this segment that a query with these filters may return,
        sorted (None: all), cached per segment: deleted documents are removed per query."""
        if not any(part not in (None, ()) for part in scope):
            return None
        return self._state.segments.get((segment_key(reader), "filter", scope),
                                        lambda: self._allowed_docs(reader, scope))

    def _allowed_docs(self, reader, scope: tuple) -> np.ndarray | None:
        departments, kinds, statuses, matter_kinds, department, date_from, date_to = scope
        parts: list[np.ndarray] = []
        if departments is not None:
            parts.append(reduce(union, (term_docs(reader, "department_ids", str(d)) for d in departments),
                                NO_DOCS))
        for fieldname, values in (("kind", kinds), ("status", statuses), ("matter_kind", matter_kinds)):
            if values:
                parts.append(reduce(union, (term_docs(reader, fieldname, v) for v in values)))
        if department is not None:
            parts.append(term_docs(reader, "department_ids", str(department)))
        if date_from or date_to:
            field_ = SCHEMA["created"]
            created = self._created(reader)
            chosen = created != field_.default_column().default_value()
            if date_from:
                chosen &= created >= field_.to_column_value(date_from)
            if date_to:
                chosen &= created <= field_.to_column_value(date_to)
            parts.append(np.flatnonzero(chosen).astype(DOC))
        parts.sort(key=len)
        allowed = reduce(intersect, parts)
        # every document of the segment (a supervisor's kinds): no filter to apply
        return None if len(allowed) == reader.doc_count_all() else allowed


def _verified(keyed, limit, ascending, exact, budget) -> tuple[list[int], bool]:
    """The first ``limit`` documents in rank order that match exactly (phrases checked), and
    whether the check went as far as needed before the budget ran out."""
    passed: list[int] = []
    want, checked = limit + 10, 0
    while True:
        ranked = keyed.best(want, ascending)
        for docnum in ranked[checked:]:
            if exact(docnum):
                passed.append(docnum)
                if len(passed) == limit:
                    return passed, True
            if budget.expired():
                return passed, False
        checked = len(ranked)
        if checked == len(keyed):
            return passed, True
        want *= 4

def _phrase_total(keyed, exact, ranked, limit) -> tuple[int, bool]:
    """How many candidates match the phrases exactly: counted when there are few, else
    estimated from a sample (checking 40,000 stored texts would cost half a second)."""
    if len(ranked) < limit:  # every candidate was checked for this page
        return len(ranked), True
    if len(keyed) <= _VERIFY_ALL:
        return sum(1 for d in keyed.docs.tolist() if exact(d)), True
    docs = keyed.docs.tolist()  # ascending
    checked = passed = 0
    # the same total on every call; a sample of at least _VERIFY_SAMPLE that grows, up to
    # _VERIFY_SAMPLE_MAX, until it holds a few matches: a rare phrase among many candidates
    for d in random.Random(len(docs)).sample(docs, min(len(docs), _VERIFY_SAMPLE_MAX)):
        checked += 1
        passed += exact(d)
        if checked >= _VERIFY_SAMPLE and passed >= _VERIFY_SAMPLE_MATCHES:
            break
    return max(len(ranked), round(len(docs) * passed / checked)), False


def _filter_key(departments, kinds, statuses, matter_kinds, department, date_from, date_to) -> tuple:
    """The filters of a query as a hashable key (the cache key of its per-segment document set)."""
    return (
        None if departments is None else tuple(sorted(int(d) for d in departments)),
        tuple(sorted(map(str, kinds or ()))), tuple(sorted(map(str, statuses or ()))),
        tuple(sorted(map(str, matter_kinds or ()))),
        None if department is None else int(department), _as_datetime(date_from),
        _as_datetime(date_to, end_of_day=True),
    )


def _as_datetime(value, end_of_day: bool = False) -> datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return datetime.combine(value, dtime.max if end_of_day else dtime.min)
    return None  # not a date: ignored rather than raised (it comes from a query string)


def _abandon(writer) -> None:
    """Give up a rebuild's writer whatever state it is in: its indexing processes stopped, its lock
    released (whoosh's ``cancel`` does neither for a multiprocessing writer that failed mid-commit)."""
    terminate = getattr(writer, "terminate_tasks", None)
    if terminate is not None:
        terminate()
    try:
        writer.cancel()
    except Exception:  # noqa: BLE001 — already closed, or its files are gone with the disk space
        log.debug("cancelling the failed writer", exc_info=True)
    lock = getattr(writer, "writelock", None)
    if lock is not None and getattr(lock, "fd", None) is not None:
        lock.release()


def _acquire(lock, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while True:
        if lock.acquire(blocking=False):
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.05)
