"""The search index: whoosh with a jieba tokenizer, for Chinese case files.

No Flask, no database: documents come in as plain dicts and results go out as dataclasses. The
caller decides what goes into a document (in particular, only the ``identity`` field may hold
what a department must never see) and passes the viewer's rights to every search.

Design, in short (the figures behind it: ``benchmarks/bench_search.py``):

- **One indexed text field.** ``text`` = title + body (title tokens weighted 3x), scored with
  tf·idf; title and body are only stored, for display and highlighting. An OR of a title and a
  body field per word defeated whoosh's block skipping (~30x slower at 100k documents).
- **Phrases.** A run of CJK text typed into the box (政务中心) must match that run, not 政务 AND
  中心 anywhere in the file. Positions are character offsets (see :mod:`.analysis`), the run is
  tiled by the finest dictionary words the index holds, and every token must sit at exactly its
  offset from the first (:class:`OffsetPhrase`; for relevance-ranked pages the same check runs
  lazily, only on documents that can reach the page, see :class:`VerifiedQuery`). Words separated
  by spaces are ANDed; each may match ``text`` (and ``identity``, if allowed) or a number.
- **Permissions inside the query.** The departments a viewer may see, and the filters chosen on
  the page, become one whoosh ``filter=`` set of document numbers, cached per searcher generation;
  the identity field is not searched at all unless ``include_identity``.
- **Processes.** One writer at a time (whoosh's lock file, retried until a timeout, then
  :class:`IndexBusy`). Readers are never blocked: one searcher per index per process,
  ``refresh()``-ed (cheap when nothing changed) under a lock before each query.
"""

from __future__ import annotations

import html
import json
import logging
import math
import os
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time as dtime
from pathlib import Path
from typing import Any

from whoosh import fields, query as wq, scoring
from whoosh import index as whoosh_index
from whoosh import collectors
from whoosh.collectors import TimeLimit
from whoosh.filedb.filestore import FileStorage
from whoosh.index import LockError
from whoosh.matching import IntersectionMatcher, NullMatcher, NullMatcherClass, WrappingMatcher
from whoosh.reading import ReaderClosed, TermNotFound
from whoosh.query.spans import Span, SpanNear2, SpanWrappingMatcher
from whoosh.util import make_binary_tree
from whoosh.writing import CLEAR

from supervision.search.analysis import (
    ANALYSIS_FORMAT,
    TITLE_BOOST,
    TITLE_SEPARATOR,
    JiebaTokenizer,
    NumberTokenizer,
    fold_width,
    normalize_number,
    query_tokens,
    warm_up,
)

log = logging.getLogger(__name__)

MAX_QUERY_CHARS = 200  # longer input is cut, not rejected
MAX_QUERY_WORDS = 12
MAX_TOKENS_PER_RUN = 16
MAX_PER_PAGE = 100
NUMBER_BOOST = 20.0  # an exact case / document number outranks texts that mention it
FRAGMENT_CHARS = 120
FORMAT_FILE = "supervision-search.json"
# tf·idf, no length normalisation: complaint texts are 100–400 characters, and BM25's length
# look-ups and looser block bounds made common-word queries ~10x slower at 100k documents.
WEIGHTING = scoring.TF_IDF()
_OPERATORS = {"AND", "OR", "NOT", "ANDNOT", "ANDMAYBE", "TO"}  # whoosh syntax typed as words
_RUN_SEPARATORS = re.compile(r"[^\w\-./@+#&]+")  # punctuation (also full-width) splits a word
_FILTER_CACHE_SIZE = 128


class SearchIndexError(Exception):
    """Base class of the errors a caller should record for ``search check`` / reindex."""


class IndexBusy(SearchIndexError):
    """Another process held the index's write lock for longer than the timeout."""


class IndexNeedsRebuild(SearchIndexError):
    """The index on disk was written by an incompatible version of the analyzer or schema."""


def make_schema() -> fields.Schema:
    text = JiebaTokenizer("search")
    return fields.Schema(
        id=fields.ID(unique=True, stored=True, sortable=True),  # "matter:123"
        kind=fields.ID(stored=True),  # matter / notice / talk …
        number=fields.ID(stored=True, analyzer=NumberTokenizer()),  # XT-2026-00017, 效整〔2026〕12号
        title=fields.STORED(),  # shown and highlighted; searched through ``text``
        body=fields.STORED(),  # highlighting needs the text; ~45% of the index on disk
        text=fields.TEXT(analyzer=JiebaTokenizer("search", title_boost=TITLE_BOOST)),  # title + body
        identity=fields.TEXT(analyzer=text),  # not stored; searched only when allowed; never shown
        department_ids=fields.KEYWORD(commas=True),  # lead + co-handling departments
        status=fields.ID(),
        matter_kind=fields.ID(),
        created=fields.DATETIME(stored=True, sortable=True),
        version=fields.ID(stored=True, sortable=True),  # row version / updated_at, for check()
    )


SCHEMA = make_schema()


# --- results ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Hit:
    id: str
    kind: str
    number: str
    title: str
    highlight_html: str  # escaped body fragment, matches in <mark>; safe to render as is
    score: float
    created: datetime | None
    title_html: str = ""  # escaped title, matches in <mark>


@dataclass(frozen=True)
class SearchPage:
    total: int  # exact when total_exact, otherwise an estimate
    hits: list[Hit]
    page: int
    pages: int
    per_page: int = 20
    total_exact: bool = True
    partial: bool = False  # the time budget ran out: the best hits of the documents scanned

    @classmethod
    def empty(cls, page: int = 1, per_page: int = 20) -> SearchPage:
        return cls(total=0, hits=[], page=page, pages=0, per_page=per_page)


@dataclass(frozen=True)
class CheckReport:
    missing: list[str] = field(default_factory=list)  # in the database, not in the index
    stale: list[str] = field(default_factory=list)  # indexed with another version
    extra: list[str] = field(default_factory=list)  # in the index, not (or no longer) in the database

    @property
    def ok(self) -> bool:
        return not (self.missing or self.stale or self.extra)


@dataclass(frozen=True)
class RebuildStats:
    docs: int
    seconds: float
    segments: int
    duplicates: int = 0

    def __str__(self) -> str:
        rate = self.docs / self.seconds if self.seconds else 0.0
        return (f"{self.docs:,} documents in {self.seconds:.1f} s ({rate:,.0f}/s), "
                f"{self.segments} segment(s), {self.duplicates} duplicate id(s) skipped")


# --- phrase query ----------------------------------------------------------------------------

class OffsetPhrase(SpanNear2):
    """Terms of one field at fixed character offsets from the first term: ``words[i]`` must
    start at ``position(words[0]) + offsets[i]``. This is an exact "these tokens, adjacent, in
    this order" test for positions that are character offsets, however jieba grouped the
    characters around them."""

    def __init__(self, fieldname: str, words: list[str], offsets: list[int], boost: float = 1.0):
        super().__init__([wq.Term(fieldname, w) for w in words])
        self.fieldname, self.words, self.offsets, self.boost = fieldname, list(words), list(offsets), boost

    def __repr__(self) -> str:
        return f"OffsetPhrase({self.fieldname!r}, {self.words!r}, {self.offsets!r})"

    def __eq__(self, other) -> bool:
        return (other.__class__ is self.__class__ and other.fieldname == self.fieldname
                and other.words == self.words and other.offsets == self.offsets)

    def __hash__(self) -> int:
        return hash((self.fieldname, tuple(self.words), tuple(self.offsets)))

    def apply(self, fn):
        return self.__class__(self.fieldname, self.words, self.offsets, self.boost)

    def _and_query(self):  # whoosh 2.7.4's SpanNear2 refers to an undefined name here
        return wq.And(self.qs)

    def matcher(self, searcher, context=None):
        field_ = searcher.schema[self.fieldname] if self.fieldname in searcher.schema else None
        if field_ is None or not field_.format or not field_.format.supports("positions"):
            return NullMatcher()
        return _OffsetPhraseMatcher([q.matcher(searcher, context) for q in self.qs], self.offsets)


class _OffsetPhraseMatcher(SpanWrappingMatcher):
    def __init__(self, ms, offsets):
        self.ms, self.offsets = ms, offsets
        super().__init__(make_binary_tree(IntersectionMatcher, ms))

    def copy(self):
        return self.__class__([m.copy() for m in self.ms], self.offsets)

    def replace(self, minquality=0):
        return self if self.is_active() else NullMatcher()

    def skip_to_quality(self, minquality):
        # whoosh's span matchers forget to re-check the spans after a block skip.
        skipped = self.child.skip_to_quality(minquality)
        self._find_next()
        return skipped

    def _get_spans(self):
        ms, offsets = self.ms, self.offsets
        rest = [(offsets[i], frozenset(ms[i].value_as("positions"))) for i in range(1, len(ms))]
        last = offsets[-1]
        return [Span(p, p + last) for p in ms[0].value_as("positions")
                if all(p + off in positions for off, positions in rest)]


# --- query parsing ---------------------------------------------------------------------------
# A parsed query is a small tree: ("and", [..]), ("or", [..]), ("term", field, text, boost) and
# ("phrase", field, words, offsets). It becomes whoosh queries in two ways:
#  - exact: phrases are OffsetPhrase. Checks positions for every candidate: used for counts, date
#    order and search_ids();
#  - relaxed: phrases are ANDs of their words, and a VerifiedQuery checks the tree only for the
#    documents that the top-N collector actually scores. whoosh skips whole blocks of postings
#    that cannot reach the top N, so for common words (政务中心: 40k candidates at 100k documents)
#    most candidates are never checked, and the top N is still exactly that of the exact query.

@dataclass
class ParsedQuery:
    tree: tuple | None
    terms: list[str]  # what to highlight: the runs (a phrase is marked whole, not char by char)

    def exact(self) -> wq.Query:
        return _to_whoosh(self.tree, exact=True)

    def relaxed(self) -> wq.Query:
        return VerifiedQuery(_to_whoosh(self.tree, exact=False), self.tree)


def _node(kind: str, children: list) -> tuple:
    return children[0] if len(children) == 1 else (kind, children)


def parse_query(text: Any, text_fields: tuple[str, ...]) -> ParsedQuery:
    """The search box, made safe: words separated by spaces are ANDed; within a word, punctuation
    (also full-width, also whoosh syntax) separates runs; a run of several tokens is an exact
    phrase; a word with a digit may also be a case or document number. Nothing here raises."""
    text = fold_width(str(text or ""))[:MAX_QUERY_CHARS]
    word_nodes: list[tuple] = []
    terms: set[str] = set()
    for word in [w for w in text.split() if w not in _OPERATORS][:MAX_QUERY_WORDS]:
        alternatives: list[tuple] = []
        run_nodes = []
        for run in _RUN_SEPARATORS.split(word):
            tokens = query_tokens(run)[:MAX_TOKENS_PER_RUN]
            if not tokens:
                continue
            terms.add(run.lower() if len(tokens) > 1 else tokens[0][0])
            if len(tokens) == 1:
                per_field = [("term", f, tokens[0][0], 1.0) for f in text_fields]
            else:
                words = tuple(t for t, _ in tokens)
                offsets = tuple(start - tokens[0][1] for _, start in tokens)
                per_field = [("phrase", f, words, offsets) for f in text_fields]
            run_nodes.append(_node("or", per_field))
        if run_nodes:
            alternatives.append(_node("and", run_nodes))
        if any(ch.isdigit() for ch in word):
            alternatives.append(("term", "number", normalize_number(word), NUMBER_BOOST))
        if alternatives:
            word_nodes.append(_node("or", alternatives))
    if not word_nodes:
        return ParsedQuery(None, [])
    return ParsedQuery(_node("and", word_nodes), sorted(terms, key=len, reverse=True))


def _to_whoosh(node: tuple, exact: bool) -> wq.Query:
    kind = node[0]
    if kind == "term":
        return wq.Term(node[1], node[2], boost=node[3])
    if kind == "phrase":
        if exact:
            return OffsetPhrase(node[1], list(node[2]), list(node[3]))
        return wq.And([wq.Term(node[1], w) for w in dict.fromkeys(node[2])])
    children = [_to_whoosh(child, exact) for child in node[1]]
    return wq.And(children) if kind == "and" else wq.Or(children)


def _has_phrase(node: tuple) -> bool:
    if node[0] in ("and", "or"):
        return any(_has_phrase(child) for child in node[1])
    return node[0] == "phrase"


class VerifiedQuery(wq.WrappingQuery):
    """``child`` (a relaxed query) whose documents count only if they match ``tree`` exactly;
    checked when the collector asks for a document's score. A document that fails scores 0.0
    and is dropped from the results (see ``SearchIndex.search``)."""

    def __init__(self, child: wq.Query, tree: tuple):
        super().__init__(child)
        self.tree = tree
        self.verifiers: list[_Verifier] = []  # one per segment searched, for the counts

    def _rewrap(self, child):
        return self.__class__(child, self.tree)

    def matcher(self, searcher, context=None):
        m = self.child.matcher(searcher, context)
        if isinstance(m, NullMatcherClass):
            return m
        verifier = _Verifier(searcher.reader(), self.tree)
        self.verifiers.append(verifier)
        return _VerifyingMatcher(m, verifier)


class _Verifier:
    """Evaluates the query tree for one document at a time, in increasing document order, with
    one forward-only postings reader per term (of this segment)."""

    def __init__(self, reader, tree):
        self.reader, self.tree = reader, tree
        self.postings: dict[tuple[str, str], Any] = {}
        self.last: tuple[int, bool] = (-1, False)
        self.checked = self.passed = 0

    def __call__(self, docnum: int) -> bool:
        if self.last[0] != docnum:
            ok = self._eval(self.tree, docnum)
            self.last = (docnum, ok)
            self.checked += 1
            self.passed += ok
        return self.last[1]

    def _at(self, fieldname: str, text: str, docnum: int):
        key = (fieldname, text)
        m = self.postings.get(key)
        if m is None:
            try:
                m = self.reader.postings(fieldname, text)
            except TermNotFound:
                m = NullMatcher()
            self.postings[key] = m
        if m.is_active() and m.id() < docnum:
            m.skip_to(docnum)
        return m if m.is_active() and m.id() == docnum else None

    def _eval(self, node, docnum) -> bool:
        kind = node[0]
        if kind == "term":
            return self._at(node[1], node[2], docnum) is not None
        if kind == "phrase":
            matchers = [self._at(node[1], w, docnum) for w in node[2]]
            if any(m is None for m in matchers):
                return False
            positions = [frozenset(m.value_as("positions")) for m in matchers[1:]]
            return any(all(p + off in ps for off, ps in zip(node[3][1:], positions))
                       for p in matchers[0].value_as("positions"))
        if kind == "and":
            return all(self._eval(child, docnum) for child in node[1])
        return any(self._eval(child, docnum) for child in node[1])


class _VerifyingMatcher(WrappingMatcher):
    def __init__(self, child, verifier: _Verifier):
        super().__init__(child)
        self.verifier = verifier

    def copy(self):
        return self.__class__(self.child.copy(), _Verifier(self.verifier.reader, self.verifier.tree))

    def _replacement(self, newchild):
        return self.__class__(newchild, self.verifier)

    def score(self):
        return self.child.score() if self.verifier(self.child.id()) else 0.0


# --- highlighting ----------------------------------------------------------------------------

def highlight(text: str, terms: list[str], fragment_chars: int = FRAGMENT_CHARS,
              whole: bool = False) -> str:
    """Escaped ``text`` (a fragment around the densest matches unless ``whole``) with each
    occurrence of a term in <mark>. Plain substring search on the stored text: no second jieba
    pass, and a token found inside a longer word is what matched it anyway."""
    if not text:
        return ""
    spans: list[list[int]] = []
    if terms:
        pattern = re.compile("|".join(re.escape(t) for t in terms), re.IGNORECASE)
        for m in pattern.finditer(fold_width(text)):  # same length as text
            if spans and m.start() <= spans[-1][1]:
                spans[-1][1] = max(spans[-1][1], m.end())
            else:
                spans.append([m.start(), m.end()])
    start, end = 0, len(text)
    if not whole and len(text) > fragment_chars:
        if spans:
            # the window (starting a little before a match) that holds the most matches
            best, best_count = 0, -1
            for i, (s, _) in enumerate(spans):
                count = sum(1 for s2, _ in spans[i:] if s2 < s + fragment_chars)
                if count > best_count:
                    best, best_count = s, count
            start = max(0, min(best - 20, len(text) - fragment_chars))
        end = start + fragment_chars
    out = ["…"] if start > 0 else []
    pos = start
    for s, e in spans:
        if e <= start or s >= end:
            continue
        s, e = max(s, start), min(e, end)
        out.append(html.escape(text[pos:s]))
        out.append(f"<mark>{html.escape(text[s:e])}</mark>")
        pos = e
    out.append(html.escape(text[pos:end]))
    if end < len(text):
        out.append("…")
    return "".join(out)


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
        self.filters: OrderedDict[tuple, set[int] | None] = OrderedDict()  # never mutated


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
        tmp.write_text(json.dumps({"analysis_format": ANALYSIS_FORMAT, "fields": SCHEMA.names()}))
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
        return stored != {"analysis_format": ANALYSIS_FORMAT, "fields": SCHEMA.names()}

    @property
    def _ix(self):
        ix = self._state.ix
        if ix is None:
            raise IndexNeedsRebuild(f"the search index in {self.path} must be rebuilt")
        return ix

    def _searcher(self):
        state = self._state
        with state.lock:
            if state.searcher is None:
                state.searcher = self._ix.searcher(weighting=WEIGHTING)
            else:
                fresh = state.searcher.refresh()
                if fresh is not state.searcher:
                    state.searcher = fresh
                    state.filters.clear()  # document numbers change between generations
            return state.searcher

    def _writer(self, timeout: float | None = None, **kwargs):
        try:
            return self._ix.writer(timeout=self.lock_timeout if timeout is None else timeout,
                                   delay=0.05, **kwargs)
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
            for doc in prepared:
                writer.update_document(**doc)
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
            removed = sum(writer.delete_by_term("id", i) for i in ids)
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

        With ``procs`` > 1, whoosh's multiprocessing writer segments text in parallel
        (jieba is most of the cost) and keeps one segment per process (no final merge)."""
        started = time.perf_counter()
        warm_up()  # forked indexing processes inherit the loaded dictionary
        if self.needs_rebuild:
            self._recreate(lock_timeout)
        if procs is None:
            procs = min(2, os.cpu_count() or 1)
        if total is not None and total < 2000:
            procs = 1  # starting processes costs more than it saves
        kwargs = {"procs": procs, "multisegment": True, "batchsize": 200} if procs > 1 else {}
        writer = self._writer(timeout=lock_timeout, limitmb=128, **kwargs)
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
        except BaseException:
            writer.cancel()
            raise
        writer.commit(mergetype=CLEAR)
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
            self._state.filters.clear()

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
        for attempt in (1, 2):
            try:
                return self._search_page(parsed, page, per_page, sort, departments, kinds, statuses,
                                         matter_kinds, department, date_from, date_to)
            except ReaderClosed:  # another thread's refresh() closed a merged-away segment
                if attempt == 2:
                    raise
            except SearchIndexError:
                log.warning("search index in %s is unusable; rebuild it", self.path)
                break
        return SearchPage.empty(page, per_page)

    def _search_page(self, parsed, page, per_page, sort, departments, kinds, statuses,
                     matter_kinds, department, date_from, date_to) -> SearchPage:
        searcher = self._searcher()
        allowed = self._allowed(searcher, departments, kinds, statuses, matter_kinds,
                                department, date_from, date_to)
        if allowed is not None and not allowed:
            return SearchPage.empty(page, per_page)
        limit = page * per_page
        verified, partial = None, False
        if sort == "date":  # every match is collected anyway: check phrases as they come
            results = searcher.search(parsed.exact(), limit=limit, filter=allowed,
                                      sortedby="created", reverse=True)
        else:
            query = parsed.exact()
            if _has_phrase(parsed.tree):
                query = verified = parsed.relaxed()
            results, partial = self._ranked(searcher, query, limit, allowed)
        found = [(results.docnum(i), results.score(i)) for i in range(results.scored_length())]
        if verified is not None:
            found = [(n, score) for n, score in found if score > 0.0]  # failed the exact check
        total, exact = self._total(results, searcher, allowed, verified)
        hits = []
        for docnum, score in found[(page - 1) * per_page:limit]:
            stored = searcher.stored_fields(docnum)
            hits.append(Hit(
                id=stored["id"], kind=stored.get("kind", ""), number=stored.get("number", ""),
                title=stored.get("title", ""),
                highlight_html=highlight(stored.get("body", ""), parsed.terms),
                title_html=highlight(stored.get("title", ""), parsed.terms, whole=True),
                score=float(score or 0.0), created=stored.get("created"),
            ))
        if len(found) < limit and not partial:  # everything there is has been seen
            total, exact = len(found), True
        total = max(total, len(found))
        return SearchPage(total=total, hits=hits, page=page, pages=math.ceil(total / per_page),
                          per_page=per_page, total_exact=exact and not partial, partial=partial)

    def _ranked(self, searcher, query, limit, allowed):
        """Top ``limit`` by relevance; with a time budget, the best of what was scanned in time
        (whoosh scans in index order and cannot rank tens of thousands of matches fast)."""
        top = collectors.TopCollector(limit) if limit < searcher.doc_count() else collectors.UnlimitedCollector()
        collector = _BudgetCollector(top, allowed, self.time_budget)
        partial = False
        try:
            searcher.search_with_collector(query, collector)
        except TimeLimit:
            partial = True
        results = collector.results()
        # Whether every match was scored: then top.total counts them. (len(results) would re-run
        # the whole query, without the filter, when it is unsure.)
        results.scored_all = not getattr(top, "skipped_times", 0) and not partial
        results.scored_total = top.total if hasattr(top, "total") else len(top.items)
        return results, partial

    def search_ids(self, text: Any, *, departments: set[int] | None, include_identity: bool,
                   **filters) -> list[str]:
        """Every matching id, unranked (for exports and tests); same rules as :meth:`search`."""
        if departments is not None and not departments:
            return []
        parsed = parse_query(text, self._text_fields(include_identity))
        if parsed.tree is None:
            return []
        searcher = self._searcher()
        if searcher.reader().doc_count_all() == 0:  # whoosh's EmptyReader has no columns
            return []
        allowed = self._allowed(searcher, departments, filters.get("kinds"), filters.get("statuses"),
                                filters.get("matter_kinds"), filters.get("department"),
                                filters.get("date_from"), filters.get("date_to"))
        ids = searcher.reader().column_reader("id")
        return [ids[n] for n in searcher.docs_for_query(parsed.exact())
                if allowed is None or n in allowed]

    @staticmethod
    def _text_fields(include_identity: bool) -> tuple[str, ...]:
        return ("text", "identity") if include_identity else ("text",)

    @staticmethod
    def _total(results, searcher, allowed, verified) -> tuple[int, bool]:
        checked = sum(v.checked for v in verified.verifiers) if verified is not None else 0
        passed = sum(v.passed for v in verified.verifiers) if verified is not None else 0
        scored_all = getattr(results, "scored_all", None)
        if scored_all or (scored_all is None and results.has_exact_length()):
            # every match was scored (no block skipping), so every match was verified too
            if verified is not None:
                return passed, True
            return (results.scored_total if scored_all else len(results)), True
        # Block skipping scored only part of the matches. whoosh's estimate is an upper bound
        # that ignores the filter (its exact count would too): scale it by the filter's share
        # and by the share of checked documents that passed the exact (phrase) check.
        estimate = results.q.estimate_size(searcher.reader())  # not results.estimated_length():
        # that may count exactly by running the query again
        if allowed is not None:
            estimate = estimate * len(allowed) / max(1, searcher.doc_count())
        if checked:
            estimate = estimate * passed / checked
        return int(estimate), False

    def _allowed(self, searcher, departments, kinds, statuses, matter_kinds, department,
                 date_from, date_to) -> set[int] | None:
        """The document numbers a query may return (None: all), cached per searcher generation."""
        key = (
            None if departments is None else tuple(sorted(int(d) for d in departments)),
            tuple(sorted(map(str, kinds or ()))), tuple(sorted(map(str, statuses or ()))),
            tuple(sorted(map(str, matter_kinds or ()))),
            None if department is None else int(department), _as_datetime(date_from),
            _as_datetime(date_to, end_of_day=True),
        )
        state = self._state
        with state.lock:
            if key in state.filters and state.searcher is searcher:
                state.filters.move_to_end(key)
                return state.filters[key]
        parts: list[wq.Query] = []
        if key[0] is not None:
            parts.append(wq.Or([wq.Term("department_ids", str(d)) for d in key[0]]))
        for fieldname, values in (("kind", key[1]), ("status", key[2]), ("matter_kind", key[3])):
            if values:
                parts.append(wq.Or([wq.Term(fieldname, v) for v in values]))
        if key[4] is not None:
            parts.append(wq.Term("department_ids", str(key[4])))
        if key[5] or key[6]:
            parts.append(wq.DateRange("created", key[5], key[6]))
        allowed = None
        if parts:
            allowed = set(searcher.docs_for_query(parts[0] if len(parts) == 1 else wq.And(parts)))
        with state.lock:
            if state.searcher is searcher:
                state.filters[key] = allowed
                while len(state.filters) > _FILTER_CACHE_SIZE:
                    state.filters.popitem(last=False)
        return allowed


class _BudgetCollector(collectors.FilterCollector):
    """whoosh's FilterCollector that also stops at a deadline (whoosh's TimeLimitCollector
    bypasses the filter of a FilterCollector it wraps, and uses SIGALRM)."""

    def __init__(self, child, allow, budget: float | None):
        super().__init__(child, allow=allow)
        self.budget = budget
        self.deadline = math.inf

    def prepare(self, top_searcher, q, context):
        super().prepare(top_searcher, q, context)
        if self.budget:
            self.deadline = time.monotonic() + self.budget

    def collect_matches(self):
        child, allow, offset, deadline = self.child, self._allow, self.offset, self.deadline
        for n, sub_docnum in enumerate(child.matches(), 1):
            if n % 64 == 0 and time.monotonic() > deadline:
                raise TimeLimit
            if allow is None or offset + sub_docnum in allow:
                child.collect(sub_docnum)


def _as_datetime(value, end_of_day: bool = False) -> datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return datetime.combine(value, dtime.max if end_of_day else dtime.min)
    return None  # not a date: ignored rather than raised (it comes from a query string)


def _acquire(lock, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while True:
        if lock.acquire(blocking=False):
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.05)
