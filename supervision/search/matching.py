"""Query evaluation on whoosh's posting lists as sorted NumPy arrays.

whoosh's matchers walk postings one document at a time through several method calls each (``id()``,
``next()``, ``skip_to()``, ``score()``), and so does any walk in Python sets and dicts: too slow for a
query of common words at 100,000 documents (docs/benchmarks.md, "Measurements behind the code").
Here each posting list is decoded block by block
into two arrays — document numbers, ascending, and weights — and every step of a query is one
vectorised operation over them: intersecting (a binary search of the shorter list's documents in
the longer, ``searchsorted``), merging, scoring (the weights of the candidates gathered and added),
ranking (a partition for the page's threshold, then a sort of the few above it). Only the
documents that can reach the page are looked at one by one: a phrase check, their stored fields.

Scores are whoosh's tf·idf (``weight × idf × boost``, summed over the matching terms, in float64);
ranks tie by document number, as in whoosh. Phrases are matched *relaxed* (all their words) for
candidates, then checked exactly, lazily, in rank order:

- in ``text`` (title + body, both stored) on the stored text itself: the phrase's span of the query
  must occur in it (no positions in that field: see ``analysis.TermWeights``);
- in ``identity`` (never stored) on positions: every word at its character offset from the first.

Everything is per segment (local document numbers; ``offset`` makes them global) and the filter
arrays and date columns, which only depend on a segment's immutable postings, are cached per
segment, as are the decoded posting lists of common words (:class:`PostingCache`): decoding the
80,000 postings of a word like 窗口 costs more than the rest of a query. Cached arrays are
read-only; every operation here makes new arrays.
"""

from __future__ import annotations

import functools
import threading
import time
from array import array
from bisect import bisect_right
from collections import OrderedDict
from collections.abc import Callable, Iterable
from functools import reduce
from itertools import accumulate, repeat
from typing import Any

import numpy as np
from whoosh.codec.whoosh3 import W3LeafMatcher
from whoosh.matching.wrappers import FilterMatcher
from whoosh.reading import ReaderClosed, TermNotFound

from supervision.search.analysis import TITLE_SEPARATOR, fold_width

_CACHE_SIZE = 256  # per-segment filter arrays and date columns kept (LRU)
POSTING_CACHE_MB = 48  # decoded posting lists of common words kept per process and index (LRU)
POSTING_CACHE_MIN = 2048  # postings: shorter lists decode in well under a millisecond

DOC = np.int32  # a segment's (local) document numbers
NO_DOCS = np.empty(0, dtype=DOC)
NO_DOCS.flags.writeable = False


class Budget:
    """A deadline for one query. Reading postings is bounded (at most one pass over each term's
    list), so it is only noted when the deadline passes there (``ran_out``: the totals are then
    reported as estimates); checking phrases one document at a time stops at the deadline."""

    def __init__(self, seconds: float | None):
        self.deadline = time.monotonic() + seconds if seconds else None
        self.ran_out = False

    def expired(self) -> bool:
        if self.deadline is not None and time.monotonic() > self.deadline:
            self.ran_out = True
        return self.ran_out


# --- sorted arrays of document numbers -----------------------------------------------------------

def docs_array(docs: Iterable[int]) -> np.ndarray:
    """Document numbers as a sorted array without repeats."""
    return np.unique(np.fromiter(docs, dtype=DOC))


def found_in(haystack: np.ndarray, needles: np.ndarray) -> np.ndarray:
    """A boolean mask over ``needles``: which of them ``haystack`` (sorted) holds."""
    if not len(haystack):
        return np.zeros(len(needles), dtype=bool)
    pos = haystack.searchsorted(needles)
    pos[pos == len(haystack)] = 0
    return haystack[pos] == needles


def intersect(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The documents in both (sorted arrays): the shorter one's searched for in the longer."""
    if len(a) > len(b):
        a, b = b, a
    return a[found_in(b, a)]


def union(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The documents in either (sorted arrays): the shorter one's missing from the longer, merged
    in (a stable sort of two sorted runs is one merge pass)."""
    if not len(a) or not len(b):
        return b if not len(a) else a
    if len(a) < len(b):
        a, b = b, a
    extra = b[~found_in(a, b)]
    return np.sort(np.concatenate((a, extra)), kind="stable") if len(extra) else a


def difference(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return a[~found_in(b, a)] if len(b) and len(a) else a


def holds(docs: np.ndarray, doc: int) -> bool:
    i = int(docs.searchsorted(doc))
    return i < len(docs) and int(docs[i]) == doc


def _frozen(values: np.ndarray) -> np.ndarray:
    values.flags.writeable = False
    return values


# --- postings ------------------------------------------------------------------------------------

def read_postings(reader, fieldname: str, text: str, *, values: bool = False,
                  budget: Budget | None = None) -> tuple[np.ndarray, np.ndarray, list | None]:
    """``(ids, weights, values)`` of one term in one segment (deleted documents included: callers
    remove them at the end): ids and float64 weights as arrays; ``values`` (the encoded
    per-posting values, e.g. positions) only if asked for."""
    try:
        matcher = reader.postings(fieldname, text)
    except TermNotFound:
        return NO_DOCS, np.empty(0), [] if values else None
    if isinstance(matcher, FilterMatcher):  # deletions: removed by the caller, all at once
        matcher = matcher.child
    ids: list[int] = []
    weights = array("f")
    vals: list | None = [] if values else None
    if not isinstance(matcher, W3LeafMatcher):  # inlined (one posting) or another codec
        while matcher.is_active():
            ids.append(matcher.id())
            weights.append(matcher.weight())
            if vals is not None:
                vals.append(matcher.value())
            matcher.next()
        return np.array(ids, dtype=DOC), np.array(weights, dtype=np.float64), vals
    fixed = matcher.format.fixed_value_size()
    while True:
        if matcher._data is None:
            matcher._read_data()
        deltas, block_weights, block_values = matcher._data
        count = matcher._blocklength
        ids.extend(accumulate(deltas))  # whoosh stores each block's ids as deltas from 0
        if block_weights is None:
            weights.extend(repeat(1.0, count))
        elif isinstance(block_weights, float):
            weights.extend(repeat(block_weights, count))
        else:
            weights.extend(block_weights)
        if vals is not None:
            if fixed:
                vals.extend(block_values[i:i + fixed] for i in range(0, len(block_values), fixed))
            else:
                vals.extend(block_values if block_values is not None else repeat(None, count))
        if matcher._lastblock:
            break
        matcher._goto(matcher._nextoffset)
    if budget is not None:
        budget.expired()  # noted
    # float32 as stored, widened exactly: scores are sums in float64, as whoosh's
    return np.array(ids, dtype=DOC), np.frombuffer(weights, dtype=np.float32).astype(np.float64), vals


def term_docs(reader, fieldname: str, text: str) -> np.ndarray:
    ids, _, _ = read_postings(reader, fieldname, text)
    return ids


# --- per-segment caches --------------------------------------------------------------------------

class SegmentCache:
    """Filter arrays and date columns per segment id (a segment's postings and columns never
    change; deletions are applied per query). Shared by the searchers of one index in one process."""

    def __init__(self, size: int = _CACHE_SIZE):
        self.size = size
        self.lock = threading.Lock()
        self.items: OrderedDict[tuple, Any] = OrderedDict()

    def get(self, key: tuple, make: Callable[[], Any]) -> Any:
        with self.lock:
            if key in self.items:
                self.items.move_to_end(key)
                return self.items[key]
        value = make()
        with self.lock:
            self.items[key] = value
            while len(self.items) > self.size:
                self.items.popitem(last=False)
        return value


class PostingCache:
    """Decoded posting lists (document numbers and weights, 12 bytes a posting) of terms with at
    least ``min_postings`` postings, per segment, least recently used dropped beyond
    ``megabytes``. Segments never change (deletions are applied per query), so entries never go
    stale; those of merged-away segments age out."""

    def __init__(self, megabytes: float = POSTING_CACHE_MB, min_postings: int = POSTING_CACHE_MIN):
        self.limit = int(megabytes * 1024 * 1024)
        self.min_postings = min_postings
        self.size = 0
        self.lock = threading.Lock()
        self.items: OrderedDict[tuple, tuple[np.ndarray, np.ndarray]] = OrderedDict()

    def get(self, key: tuple, make: Callable[[], tuple[np.ndarray, np.ndarray]]) -> tuple[np.ndarray, np.ndarray]:
        """``(ids, weights)`` kept under ``key``, or made (and kept if long); read-only."""
        with self.lock:
            found = self.items.get(key)
            if found is not None:
                self.items.move_to_end(key)
                return found
        ids, weights = make()
        entry = (_frozen(ids), _frozen(weights))
        if len(ids) < self.min_postings:
            return entry
        with self.lock:
            if key not in self.items:
                self.items[key] = entry
                self.size += ids.nbytes + weights.nbytes
                while self.size > self.limit and self.items:
                    _, (old_ids, old_weights) = self.items.popitem(last=False)
                    self.size -= old_ids.nbytes + old_weights.nbytes
        return entry


def segment_key(reader) -> str:
    return reader.segment().segment_id()


def deleted_docs(reader) -> np.ndarray:
    return docs_array(reader.segment().deleted_docs()) if reader.has_deletions() else NO_DOCS


def numeric_column(reader, fieldname: str) -> np.ndarray:
    """A sortable column's raw values for every document of the segment (one read), in the
    column's own type (``created``: unsigned 64-bit)."""
    column = reader.column_reader(fieldname, translate=False)
    count = reader.doc_count_all()
    dtype = np.dtype(column._typecode)
    try:
        raw = column._dbfile.get(column._basepos, column._count * column._fixedlen)
        out = np.full(count, column._default, dtype=dtype)
        out[:column._count] = np.frombuffer(raw, dtype=dtype.newbyteorder(">"))  # written big-endian
    except AttributeError:  # another column implementation: the slow, general way
        out = np.array([column[n] for n in range(count)], dtype=dtype)
    return _frozen(out)


# --- evaluating a parsed query -------------------------------------------------------------------
# The tree (see engine.parse_query): ("and", [..]), ("or", [..]), ("term", field, text, boost) and
# ("phrase", field, words, offsets, span).

class SegmentQuery:
    """One parsed query on one segment: relaxed candidates, their scores, exact checks."""

    def __init__(self, searcher, reader, offset: int, tree: tuple, budget: Budget | None,
                 postings: PostingCache | None = None):
        self.searcher, self.reader, self.offset, self.tree, self.budget = searcher, reader, offset, tree, budget
        self.cache = postings
        self._postings: dict[Any, _Postings] = {}  # (field, text), or id() of a merged OR
        self._keys: dict[int, np.ndarray] = {}
        self._texts: dict[tuple[int, bool], str] = {}
        self._exact: dict[int, bool] = {}

    # relaxed matching
    def _term(self, fieldname: str, text: str, values: bool = False) -> _Postings:
        key = (fieldname, text)
        found = self._postings.get(key)
        if found is None or (values and found.values is None):
            if values or self.cache is None:
                found = _Postings(*read_postings(self.reader, fieldname, text, values=values, budget=self.budget))
            else:
                def decode() -> tuple[np.ndarray, np.ndarray]:
                    ids, weights, _ = read_postings(self.reader, fieldname, text, budget=self.budget)
                    return ids, weights
                found = _Postings(*self.cache.get((segment_key(self.reader), fieldname, text), decode), None)
            self._postings[key] = found
        return found

    def _union(self, node: tuple) -> _Postings | None:
        """An OR of single terms — a word in the text and in the identity field, as office staff
        search — as one posting list: the documents of either, each weighted with the tf·idf its
        terms add to the score. Kept like a long posting list (the idfs in the key: they change
        with the index)."""
        if node[0] != "or" or any(child[0] != "term" for child in node[1]):
            return None
        found = self._postings.get(id(node))
        if found is None:
            parts = [(child[1], child[2], self.searcher.idf(child[1], child[2]) * child[3]) for child in node[1]]

            def merge() -> tuple[np.ndarray, np.ndarray]:
                lists = [(self._term(fieldname, text), factor) for fieldname, text, factor in parts]
                ids = reduce(union, (postings.ids for postings, _ in lists))
                total = np.zeros(len(ids))
                for postings, factor in lists:  # in the terms' order, as the score adds them
                    total[ids.searchsorted(postings.ids)] += postings.weights * factor
                return ids, total

            key = (segment_key(self.reader), "or", tuple(parts))
            found = _Postings(*(self.cache.get(key, merge) if self.cache is not None else merge()), None)
            self._postings[id(node)] = found
        return found

    def _words(self, node: tuple) -> list[_Postings]:
        """The posting lists of a term or of a phrase's words (an OR of terms: merged), shortest first."""
        if node[0] == "or":
            return [self._union(node)]
        if node[0] == "term":
            return [self._term(node[1], node[2])]
        positions = node[1] == "identity"
        return sorted((self._term(node[1], w, values=positions) for w in dict.fromkeys(node[2])), key=len)

    def estimate(self, node: tuple) -> int:
        """An upper bound of how many documents match ``node`` relaxed."""
        kind = node[0]
        if kind in ("term", "phrase") or self._union(node) is not None:
            return len(self._words(node)[0])
        sizes = [self.estimate(child) for child in node[1]]
        return min(sizes) if kind == "and" else sum(sizes)

    def keys(self, node: tuple | None = None) -> np.ndarray:
        """Local document numbers matching ``node`` relaxed (a phrase: all its words), sorted.
        The smallest part of an AND is searched for in the others (:meth:`restrict`)."""
        node = self.tree if node is None else node
        cached = self._keys.get(id(node))
        if cached is not None:
            return cached
        kind = node[0]
        if kind in ("term", "phrase") or self._union(node) is not None:
            first, *rest = self._words(node)
            result = first.ids
            for postings in rest:
                result = intersect(result, postings.ids)
        elif kind == "and":
            first, *rest = sorted(node[1], key=self.estimate)
            result = self.keys(first)
            for child in rest:
                result = self.restrict(child, result)
        else:
            result = reduce(union, (self.keys(child) for child in node[1]))
        self._keys[id(node)] = result
        return result

    def restrict(self, node: tuple, docs: np.ndarray) -> np.ndarray:
        """The documents of ``docs`` (sorted) that match ``node`` relaxed."""
        if not len(docs):
            return docs
        cached = self._keys.get(id(node))
        if cached is not None:
            return intersect(docs, cached)
        kind = node[0]
        if kind in ("term", "phrase") or self._union(node) is not None:
            for postings in self._words(node):
                docs = intersect(docs, postings.ids)
            return docs
        if kind == "and":
            for child in sorted(node[1], key=self.estimate):
                docs = self.restrict(child, docs)
            return docs
        return reduce(union, (self.restrict(child, docs) for child in node[1]))

    def add_scores(self, docs: np.ndarray, scores: np.ndarray, node: tuple | None = None,
                   subset: bool = True) -> None:
        """``scores += `` the tf·idf of every term of ``node`` that each of ``docs`` matches
        (``scores`` parallel to ``docs``; ``subset``: every one of ``docs`` matches ``node``)."""
        node = self.tree if node is None else node
        if not len(docs):
            return
        kind = node[0]
        union_ = self._union(node)
        if union_ is not None:  # the terms' tf·idf already summed per document
            scores += union_.weights_of(docs, subset)
        elif kind == "term":  # a term's postings say which documents it has
            scores += self._term(node[1], node[2]).weights_of(docs, subset) * (
                self.searcher.idf(node[1], node[2]) * node[3])
        elif not subset:  # only the documents matching the whole node score its terms
            matching = self.restrict(node, docs)
            if len(matching):
                part = np.zeros(len(matching))
                self.add_scores(matching, part, node)
                scores[docs.searchsorted(matching)] += part
        elif kind == "phrase":
            for word in dict.fromkeys(node[2]):
                scores += self._term(node[1], word).weights_of(docs) * self.searcher.idf(node[1], word)
        else:
            for child in node[1]:
                self.add_scores(docs, scores, child, subset=kind == "and")

    # exact matching
    def exact(self, doc: int, node: tuple | None = None, relaxed: bool = True) -> bool:
        """Whether the (local) document matches ``node`` exactly (phrases checked); ``relaxed``:
        it is known to match ``node`` relaxed — a candidate matches the whole query, and then
        every part of an AND."""
        if node is None:
            cached = self._exact.get(doc)
            if cached is None:
                cached = self._exact[doc] = self.exact(doc, self.tree)
            return cached
        if not relaxed and not self._matches(node, doc):
            return False
        kind = node[0]
        if kind == "term":
            return True
        if kind == "phrase":
            if node[1] == "identity":
                return self._positions_match(doc, node[1], node[2], node[3])
            span = node[4]
            return span in self._stored_text(doc, fold=_needs_folding(span))
        if kind == "and":
            return all(self.exact(doc, child) for child in node[1])
        return any(self.exact(doc, child, relaxed=False) for child in node[1])

    def _matches(self, node: tuple, doc: int) -> bool:
        """Whether one document matches ``node`` relaxed (no array built for it)."""
        cached = self._keys.get(id(node))
        if cached is not None:
            return holds(cached, doc)
        kind = node[0]
        if kind in ("term", "phrase") or self._union(node) is not None:
            return all(holds(postings.ids, doc) for postings in self._words(node))
        if kind == "and":
            return all(self._matches(child, doc) for child in node[1])
        return any(self._matches(child, doc) for child in node[1])

    def _stored_text(self, doc: int, fold: bool = True) -> str:
        """Title and body as stored; with ``fold``, as the tokenizer sees them (half-width, lower
        case). A span without ASCII needs no folding: folding only ever makes ASCII characters,
        and it costs more than the rest of the check (str.translate with a dict)."""
        key = (doc, fold)
        text = self._texts.get(key)
        if text is None:
            stored = stored_fields(self.reader, doc)
            text = stored.get("title", "") + TITLE_SEPARATOR + stored.get("body", "")
            if fold:
                text = fold_width(text).lower()
            self._texts[key] = text
        return text

    def _positions_match(self, doc: int, fieldname: str, words, offsets) -> bool:
        fmt = self.searcher.schema[fieldname].format
        decoded = []
        for word in words:
            value = self._term(fieldname, word, values=True).value_of(doc)
            if value is None:
                return False
            decoded.append(fmt.decode_positions(value))
        rest = [(off, frozenset(pos)) for off, pos in zip(offsets[1:], decoded[1:])]
        return any(all(p + off in pos for off, pos in rest) for p in decoded[0])


class _Postings:
    """One term's postings in one segment: document numbers (ascending) and weights, parallel."""

    __slots__ = ("ids", "weights", "values")

    def __init__(self, ids: np.ndarray, weights: np.ndarray, values: list | None):
        self.ids, self.weights, self.values = ids, weights, values

    def __len__(self) -> int:
        return len(self.ids)

    def weights_of(self, docs: np.ndarray, subset: bool = True) -> np.ndarray:
        """The weight of each of ``docs`` (sorted) in this list; 0 for those it does not hold
        (``subset``: it holds them all)."""
        if subset:  # as many as this list holds: all of them, in order
            return self.weights if len(docs) == len(self.ids) else self.weights[self.ids.searchsorted(docs)]
        if not len(self.ids):
            return np.zeros(len(docs))
        pos = self.ids.searchsorted(docs)
        pos[pos == len(self.ids)] = 0
        return np.where(self.ids[pos] == docs, self.weights[pos], 0.0)

    def value_of(self, doc: int):
        i = int(self.ids.searchsorted(doc))
        return self.values[i] if i < len(self.ids) and int(self.ids[i]) == doc else None


def stored_fields(reader, doc: int) -> dict:
    """``reader.stored_fields(doc)`` without its check of every field against the schema (for
    fields removed from it: an index of another schema is rebuilt, see ``SearchIndex.needs_rebuild``),
    which is half the cost of reading a document to check a phrase in it."""
    perdoc = getattr(reader, "_perdoc", None)
    if perdoc is None:
        return reader.stored_fields(doc)
    if reader.is_closed:
        raise ReaderClosed
    return perdoc.stored_fields(doc)


@functools.lru_cache(maxsize=1024)
def _needs_folding(span: str) -> bool:
    """Whether finding ``span`` (folded, lower case) needs the stored text folded too: only if it
    holds ASCII (what full-width characters fold to) or letters with a case."""
    return any(ch.isascii() or ch.upper() != ch.lower() for ch in span)


def has_phrase(node: tuple) -> bool:
    if node[0] in ("and", "or"):
        return any(has_phrase(child) for child in node[1])
    return node[0] == "phrase"


class Keyed:
    """Candidates (global document numbers, ascending) and the key they rank by (a score or a date)."""

    def __init__(self, docs: np.ndarray, keys: np.ndarray):
        self.docs, self.keys = docs, keys

    def __len__(self) -> int:
        return len(self.docs)

    def key_of(self, doc: int):
        return self.keys[int(self.docs.searchsorted(doc))].item()

    def best(self, count: int, ascending_ties: bool = True) -> list[int]:
        """The ``count`` documents with the largest keys, largest first; equal keys by document
        number (ascending, as whoosh ranks, or descending). A partition finds the page's
        threshold; only the documents at or above it are sorted."""
        docs, keys = self.docs, self.keys
        if len(docs) > count:
            threshold = np.partition(keys, len(keys) - count)[len(keys) - count]
            above = keys >= threshold
            docs, keys = docs[above], keys[above]
        # descending keys: negated floats, complemented integers (dates are unsigned)
        order = np.lexsort((docs if ascending_ties else -docs, -keys if keys.dtype.kind == "f" else ~keys))
        return docs[order[:count]].tolist()


class Candidates:
    """The documents of one query that match it relaxed, may be seen and are not deleted, per
    segment, addressed by global document number."""

    def __init__(self, segments: list[tuple[SegmentQuery, np.ndarray]]):
        self.segments = segments
        self._offsets = [q.offset for q, _ in segments]

    def local(self, docnum: int) -> tuple[SegmentQuery, int]:
        segment_query = self.segments[bisect_right(self._offsets, docnum) - 1][0]
        return segment_query, docnum - segment_query.offset

    def exact(self, docnum: int) -> bool:
        segment_query, n = self.local(docnum)
        return segment_query.exact(n)

    def stored_fields(self, docnum: int) -> dict:
        segment_query, n = self.local(docnum)
        return stored_fields(segment_query.reader, n)

    def _global(self) -> np.ndarray:
        return np.concatenate([docs.astype(np.int64) + q.offset for q, docs in self.segments]
                              or [np.empty(0, dtype=np.int64)])

    def by_score(self) -> Keyed:
        scores = []
        for segment_query, docs in self.segments:
            scores.append(np.zeros(len(docs)))
            segment_query.add_scores(docs, scores[-1])
        return Keyed(self._global(), np.concatenate(scores or [np.empty(0)]))

    def by_column(self, column: Callable[[Any], np.ndarray]) -> Keyed:
        """Keyed by a per-segment column (``column(reader)``: a value for every document)."""
        values = [column(segment_query.reader)[docs] for segment_query, docs in self.segments]
        return Keyed(self._global(), np.concatenate(values) if values else np.empty(0, dtype=np.uint64))

    def in_index_order(self) -> list[int]:
        return self._global().tolist()
