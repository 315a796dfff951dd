"""Query evaluation on whoosh's posting lists as Python sets, arrays and dicts.

whoosh's matchers walk postings one document at a time through several method calls each (``id()``,
``next()``, ``skip_to()``, ``score()``): at 100,000 documents a two-word query of common words
(tens of thousands of postings) cost 60–100 ms of CPU that way, block skipping included. Here each
posting list is decoded block by block into arrays (``itertools.accumulate`` on the stored deltas:
C speed). The smallest part of an AND (or the viewer's permission filter, when smaller) becomes a
set; the other lists are probed with it — a binary search per document when a list is much longer,
one pass over it otherwise — and the weights found are kept for scoring. Only the documents that
can reach the page are looked at one by one: a phrase check, their stored fields.

Scores are whoosh's tf·idf (``weight × idf × boost``, summed over the matching terms); ranks tie
by document number, as in whoosh. Phrases are matched *relaxed* (all their words) for candidates,
then checked exactly, lazily, in rank order:

- in ``text`` (title + body, both stored) on the stored text itself: the phrase's span of the query
  must occur in it (no positions in that field: see ``analysis.TermWeights``);
- in ``identity`` (never stored) on positions: every word at its character offset from the first.

Everything is per segment (local document numbers; ``offset`` makes them global) and the filter
sets and date columns, which only depend on a segment's immutable postings, are cached per segment,
as are the decoded posting lists of common words (:class:`PostingCache`): decoding the 80,000
postings of a word like 窗口 was half of a query's time.
"""

from __future__ import annotations

import functools
import threading
import time
from array import array
from bisect import bisect_left, bisect_right
from collections import Counter, OrderedDict
from collections.abc import Callable, Iterable
from itertools import accumulate, repeat
from sys import byteorder
from typing import Any

from whoosh.codec.whoosh3 import W3LeafMatcher
from whoosh.matching.wrappers import FilterMatcher
from whoosh.reading import TermNotFound

from supervision.search.analysis import TITLE_SEPARATOR, fold_width

_CACHE_SIZE = 256  # per-segment filter sets and date columns kept (LRU)
POSTING_CACHE_MB = 48  # decoded posting lists of common words kept per process and index (LRU)
POSTING_CACHE_MIN = 2048  # postings: shorter lists decode in well under a millisecond
TABLE_MIN = 16384  # postings: longer kept lists get a {doc: weight} table for probing
TABLE_BYTES = 100  # a table entry's size, roughly (dict slot, int and float objects)


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


# --- postings ------------------------------------------------------------------------------------

def read_postings(reader, fieldname: str, text: str, *, values: bool = False,
                  budget: Budget | None = None) -> tuple[list[int], Any, list | None]:
    """``(ids, weights, values)`` of one term in one segment (deleted documents included: callers
    remove them at the end). ``weights`` is a sequence parallel to ``ids``; ``values`` (the encoded
    per-posting values, e.g. positions) only if asked for."""
    try:
        matcher = reader.postings(fieldname, text)
    except TermNotFound:
        return [], [], [] if values else None
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
        return ids, weights, vals
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
    return ids, weights, vals


def term_docs(reader, fieldname: str, text: str) -> set[int]:
    ids, _, _ = read_postings(reader, fieldname, text)
    return set(ids)


# --- per-segment caches --------------------------------------------------------------------------

class SegmentCache:
    """Filter sets and date columns per segment id (a segment's postings and columns never change;
    deletions are applied per query). Shared by the searchers of one index in one process."""

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
    """Decoded posting lists (document numbers and weights as arrays, 8 bytes a posting) of terms
    with at least ``min_postings`` postings, per segment, least recently used dropped beyond
    ``megabytes``. Segments never change (deletions are applied per query), so entries never go
    stale; those of merged-away segments age out."""

    def __init__(self, megabytes: float = POSTING_CACHE_MB, min_postings: int = POSTING_CACHE_MIN):
        self.limit = int(megabytes * 1024 * 1024)
        self.min_postings = min_postings
        self.size = 0
        self.lock = threading.Lock()
        self.items: OrderedDict[tuple, tuple[array, array]] = OrderedDict()

    def get(self, key: tuple, make: Callable[[], tuple[Any, Any]]) -> tuple[Any, Any]:
        """``(ids, weights)`` kept under ``key``, or made (and kept if long)."""
        with self.lock:
            found = self.items.get(key)
            if found is not None:
                self.items.move_to_end(key)
                return found
        ids, weights = make()
        if len(ids) < self.min_postings:
            return ids, weights
        entry = (ids if isinstance(ids, array) else array("I", ids), weights)
        size = len(ids) * (4 + weights.itemsize)
        with self.lock:
            if key not in self.items:
                self.items[key] = entry
                self.size += size
                self._evict()
        return entry

    def table(self, key: tuple, ids, weights) -> dict[int, float]:
        """``{doc: weight}`` of a kept list, made on first use and kept with it (~100 bytes a
        posting): a look-up per probed document instead of a binary search."""
        key = (*key, "table")
        with self.lock:
            found = self.items.get(key)
            if found is not None:
                self.items.move_to_end(key)
                return found[0]
        table = dict(zip(ids, weights))
        with self.lock:
            self.items[key] = (table, None)
            self.size += len(table) * TABLE_BYTES
            self._evict()
        return table

    def _evict(self) -> None:
        while self.size > self.limit and self.items:
            key, (first, second) = self.items.popitem(last=False)
            self.size -= len(first) * (TABLE_BYTES if second is None else 4 + second.itemsize)


def segment_key(reader) -> str:
    return reader.segment().segment_id()


def deleted_docs(reader) -> frozenset[int]:
    return frozenset(reader.segment().deleted_docs()) if reader.has_deletions() else frozenset()


def numeric_column(reader, fieldname: str) -> list[int]:
    """A sortable column's raw values for every document of the segment (one read, one unpack)."""
    column = reader.column_reader(fieldname, translate=False)
    count = reader.doc_count_all()
    try:
        raw = column._dbfile.get(column._basepos, column._count * column._fixedlen)
        values = array(column._typecode)
        values.frombytes(raw)
        if byteorder == "little":
            values.byteswap()  # whoosh writes columns big-endian
        out = values.tolist()
        out.extend(repeat(column._default, count - len(out)))
        return out
    except AttributeError:  # another column implementation: the slow, general way
        return [column[n] for n in range(count)]


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
        self._keys: dict[int, set[int]] = {}
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
                def decode() -> tuple[Any, Any]:
                    ids, weights, _ = read_postings(self.reader, fieldname, text, budget=self.budget)
                    return ids, weights
                found = self._kept((segment_key(self.reader), fieldname, text), decode)
            self._postings[key] = found
        return found

    def _kept(self, key: tuple, make: Callable[[], tuple[Any, Any]]) -> _Postings:
        """A posting list from the cache (or made and kept there), with its look-up table if long."""
        ids, weights = self.cache.get(key, make)
        postings = _Postings(ids, weights, None)
        if len(ids) >= TABLE_MIN:
            postings.table_of = functools.partial(self.cache.table, key, ids, weights)
        return postings

    def _union(self, node: tuple) -> _Postings | None:
        """An OR of single terms — a word in the text and in the identity field, as office staff
        search — as one posting list: the documents of either, each weighted with the tf·idf its
        terms add to the score. Two long lists probed and scored for every candidate cost more
        than one; kept like a long posting list (the idfs in the key: they change with the index)."""
        if node[0] != "or" or any(child[0] != "term" for child in node[1]):
            return None
        found = self._postings.get(id(node))
        if found is None:
            parts = [(child[1], child[2], self.searcher.idf(child[1], child[2]) * child[3]) for child in node[1]]

            def merge() -> tuple[array, array]:
                total: dict[int, float] = {}
                for fieldname, text, factor in parts:
                    postings = self._term(fieldname, text)
                    get = total.get
                    for d, w in zip(postings.ids, postings.weights):
                        total[d] = get(d, 0.0) + w * factor
                ids = array("I", sorted(total))
                return ids, array("d", [total[d] for d in ids])

            key = (segment_key(self.reader), "or", tuple(parts))
            found = self._kept(key, merge) if self.cache is not None else _Postings(*merge(), None)
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
        """An upper bound of how many documents match ``node`` relaxed (no set built)."""
        kind = node[0]
        if kind in ("term", "phrase") or self._union(node) is not None:
            return len(self._words(node)[0])
        sizes = [self.estimate(child) for child in node[1]]
        return min(sizes) if kind == "and" else sum(sizes)

    def keys(self, node: tuple | None = None) -> set[int]:
        """Local document numbers matching ``node`` relaxed (a phrase: all its words). Only the
        smallest part of an AND becomes a set; the others are probed with it (:meth:`restrict`)."""
        node = self.tree if node is None else node
        cached = self._keys.get(id(node))
        if cached is not None:
            return cached
        kind = node[0]
        if kind in ("term", "phrase") or self._union(node) is not None:
            first, *rest = self._words(node)
            result = first.docs()
            for postings in rest:
                result = postings.restrict(result)
        elif kind == "and":
            first, *rest = sorted(node[1], key=self.estimate)
            result = self.keys(first)
            for child in rest:
                result = self.restrict(child, result)
        else:
            result = set().union(*(self.keys(child) for child in node[1]))
        self._keys[id(node)] = result
        return result

    def restrict(self, node: tuple, docs: set[int]) -> set[int]:
        """The documents of ``docs`` that match ``node`` relaxed."""
        if not docs:
            return set()
        cached = self._keys.get(id(node))
        if cached is not None:
            return docs & cached
        kind = node[0]
        if kind in ("term", "phrase") or self._union(node) is not None:
            for postings in self._words(node):
                docs = postings.restrict(docs)
            return docs
        if kind == "and":
            for child in sorted(node[1], key=self.estimate):
                docs = self.restrict(child, docs)
            return docs
        return set().union(*(self.restrict(child, docs) for child in node[1]))

    def add_scores(self, docs: set[int], scores: dict[int, float], node: tuple | None = None,
                   subset: bool = True) -> None:
        """``scores[doc] += `` the tf·idf of every term of ``node`` that the document matches
        (``subset``: every one of ``docs`` matches ``node``)."""
        node = self.tree if node is None else node
        kind = node[0]
        union = self._union(node)
        if union is not None:  # the terms' tf·idf already summed per document
            get = scores.get
            for d, weight in union.weighted(docs):
                scores[d] = get(d, 0.0) + weight
            return
        if not subset and kind != "term":  # a term's postings say which documents it has
            docs = self.restrict(node, docs)
        if not docs:
            return
        if kind in ("term", "phrase"):
            words = [node[2]] if kind == "term" else list(dict.fromkeys(node[2]))
            boost = node[3] if kind == "term" else 1.0
            for word in words:
                factor = self.searcher.idf(node[1], word) * boost
                get = scores.get
                for d, weight in self._term(node[1], word).weighted(docs):
                    scores[d] = get(d, 0.0) + weight * factor
        else:
            for child in node[1]:
                self.add_scores(docs, scores, child, subset=kind == "and")

    # exact matching
    def exact(self, doc: int, node: tuple | None = None) -> bool:
        """Whether the (local) document matches ``node`` exactly (phrases checked)."""
        if node is None:
            cached = self._exact.get(doc)
            if cached is None:
                cached = self._exact[doc] = self.exact(doc, self.tree)
            return cached
        if not self._matches(node, doc):
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
        return any(self.exact(doc, child) for child in node[1])

    def _matches(self, node: tuple, doc: int) -> bool:
        """Whether one document matches ``node`` relaxed (no set built for it)."""
        cached = self._keys.get(id(node))
        if cached is not None:
            return doc in cached
        kind = node[0]
        if kind in ("term", "phrase") or self._union(node) is not None:
            return all(doc in postings for postings in self._words(node))
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
            stored = self.reader.stored_fields(doc)
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
    """One term's postings in one segment; sets and look-ups built only as needed (a set of the
    80,000 postings of a common word costs more than probing it for a few thousand documents)."""

    __slots__ = ("ids", "weights", "values", "table_of", "_docs", "_found", "_asked")

    def __init__(self, ids, weights, values: list | None):
        self.ids, self.weights, self.values = ids, weights, values  # ids: ascending
        self.table_of: Callable[[], dict[int, float]] | None = None  # {doc: weight}, for long kept lists
        self._docs: set[int] | None = None
        self._found: dict[int, float] = {}  # document -> weight, of the documents asked about and found
        self._asked: set[int] = set()  # the documents asked about (by restrict)

    def __len__(self) -> int:
        return len(self.ids)

    def __contains__(self, doc: int) -> bool:
        if self._docs is not None:
            return doc in self._docs
        i = bisect_left(self.ids, doc)
        return i < len(self.ids) and self.ids[i] == doc

    def docs(self) -> set[int]:
        if self._docs is None:
            self._docs = set(self.ids)
        return self._docs

    def restrict(self, docs: set[int]) -> set[int]:
        """The documents of ``docs`` in this list, their weights kept for scoring: a binary search
        for each when this list is much longer, else one pass over the list."""
        ids, weights = self.ids, self.weights
        if len(ids) > 5 * len(docs) and self.table_of is not None:
            get, found = self.table_of().get, {}
            for d in docs:
                weight = get(d)
                if weight is not None:
                    found[d] = weight
        elif len(ids) > 5 * len(docs):
            n, found = len(ids), {}
            for d in docs:
                i = bisect_left(ids, d)
                if i < n and ids[i] == d:
                    found[d] = weights[i]
        else:
            found = {d: w for d, w in zip(ids, weights) if d in docs}
        self._found.update(found)
        self._asked = self._asked | docs if self._asked else docs
        return set(found)

    def weighted(self, docs: set[int]) -> list[tuple[int, float]]:
        """``(doc, weight)`` of the documents of ``docs`` in this list."""
        if docs <= self._asked:
            found = self._found
            return [(d, found[d]) for d in docs if d in found]
        self.restrict(docs)
        found = self._found
        return [(d, found[d]) for d in docs if d in found]

    def value_of(self, doc: int):
        i = bisect_left(self.ids, doc)
        return self.values[i] if i < len(self.ids) and self.ids[i] == doc else None


@functools.lru_cache(maxsize=1024)
def _needs_folding(span: str) -> bool:
    """Whether finding ``span`` (folded, lower case) needs the stored text folded too: only if it
    holds ASCII (what full-width characters fold to) or letters with a case."""
    return any(ch.isascii() or ch.upper() != ch.lower() for ch in span)


def has_phrase(node: tuple) -> bool:
    if node[0] in ("and", "or"):
        return any(has_phrase(child) for child in node[1])
    return node[0] == "phrase"


def best(keyed: dict[int, Any], count: int, ascending_ties: bool = True) -> list[int]:
    """The ``count`` documents with the largest keys, largest first; equal keys by document number
    (ascending, as whoosh ranks, or descending). Linear in ``len(keyed)`` with C-speed counting:
    sorting 40,000 candidates to show 20 would cost more than the whole query."""
    if len(keyed) > count:
        counts = Counter(keyed.values())
        need, threshold = count, None
        for value in sorted(counts, reverse=True):
            need -= counts[value]
            if need <= 0:
                threshold = value
                break
        docs = [d for d, v in keyed.items() if v >= threshold]
    else:
        docs = list(keyed)
    sign = 1 if ascending_ties else -1
    docs.sort(key=lambda d: (-keyed[d], sign * d))
    return docs[:count]


class Candidates:
    """The documents of one query that match it relaxed, may be seen and are not deleted, per
    segment, addressed by global document number."""

    def __init__(self, segments: list[tuple[SegmentQuery, set[int]]]):
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
        return segment_query.reader.stored_fields(n)

    def by_score(self) -> dict[int, float]:
        keyed: dict[int, float] = {}
        for segment_query, docs in self.segments:
            scores: dict[int, float] = {}
            segment_query.add_scores(docs, scores)
            offset = segment_query.offset
            keyed.update({offset + d: s for d, s in scores.items()} if offset else scores)
        return keyed

    def by_column(self, column: Callable[[Any], list]) -> dict[int, Any]:
        """``{docnum: value}`` from a per-segment column (``column(reader)``)."""
        keyed: dict[int, Any] = {}
        for segment_query, docs in self.segments:
            values, offset = column(segment_query.reader), segment_query.offset
            keyed.update({offset + d: values[d] for d in docs})
        return keyed

    def in_index_order(self) -> list[int]:
        return [q.offset + n for q, docs in self.segments for n in sorted(docs)]
