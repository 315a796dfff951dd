"""The query side of the search index: the result types, the search box parsed into a query tree, and
highlighting. Pure: no index, no database (split from ``engine``, which imports these names)."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from supervision.search.analysis import fold_width, normalize_number, query_tokens

MAX_QUERY_CHARS = 200  # longer input is cut, not rejected
MAX_QUERY_WORDS = 12
MAX_TOKENS_PER_RUN = 16
NUMBER_BOOST = 20.0  # an exact case / document number outranks texts that mention it
FRAGMENT_CHARS = 120
_OPERATORS = {"AND", "OR", "NOT", "ANDNOT", "ANDMAYBE", "TO"}  # whoosh syntax typed as words
_RUN_SEPARATORS = re.compile(r"[^\w\-./@+#&]+")  # punctuation (also full-width) splits a word


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
    partial: bool = False  # the time budget ran out: totals estimated, phrase checks maybe cut short

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


# --- query parsing ---------------------------------------------------------------------------
# A parsed query is a small tree: ("and", [..]), ("or", [..]), ("term", field, text, boost) and
# ("phrase", field, words, offsets, span). :mod:`.matching` evaluates it on the posting lists:
# phrases relaxed (all their words) for candidates, then exactly, lazily, for the documents that
# can reach the page.

@dataclass
class ParsedQuery:
    tree: tuple | None
    terms: list[str]  # what to highlight: the runs (a phrase is marked whole, not char by char)


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
                # what the stored text must contain: the run from its first token to its last
                span = run[tokens[0][1]:tokens[-1][1] + len(tokens[-1][0])].lower()
                per_field = [("phrase", f, words, offsets, span) for f in text_fields]
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
