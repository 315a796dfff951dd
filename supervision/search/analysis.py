"""Text analysis for Chinese: a whoosh tokenizer on ``jieba.tokenize`` and the number normaliser.

whoosh pickles the analyzers into the index's table of contents, so the classes here are
referenced by their import path: moving or renaming them makes existing indexes unreadable
(``SearchIndex`` then reports ``needs_rebuild``). Bump ``ANALYSIS_FORMAT`` whenever tokens change.

Positions are **character offsets** of the token start (not token ordinals). jieba's search mode
emits overlapping tokens (服务窗口工作人员 → 服务 窗口 服务窗口 工作 作人 人员 工作人员), so ordinal
positions are not contiguous across a compound and a phrase like 窗口工作 would fail to match.
With offsets, "token B starts exactly len(A) characters after token A" is an exact test of
adjacency; :class:`supervision.search.engine.OffsetPhrase` performs it.
"""

from __future__ import annotations

import re
import threading
import unicodedata

from whoosh.analysis import Token, Tokenizer

# Bump when the tokens produced for a text change: the index must then be rebuilt.
ANALYSIS_FORMAT = 1

# jieba's HMM guesses unknown words (names) from context, so the same name may be one token in
# one sentence and two in another; without it unknown words fall apart into single characters,
# consistently, and the offset phrase still matches them exactly. It is also ~12% faster.
JIEBA_HMM = False

_jieba_lock = threading.Lock()
_jieba_ready = False


def jieba_tokenize(text: str, mode: str = "default"):
    """``jieba.tokenize`` with the dictionary loaded once per process, quietly."""
    global _jieba_ready
    import jieba  # not jieba.analyse: that costs ~95 MiB more

    if not _jieba_ready:
        with _jieba_lock:
            if not _jieba_ready:
                jieba.setLogLevel(60)
                jieba.initialize()
                _jieba_ready = True
    return jieba.tokenize(text, mode=mode, HMM=JIEBA_HMM)


def warm_up() -> None:
    """Load jieba's dictionary now (e.g. before forking indexing processes, which inherit it)."""
    for _ in jieba_tokenize("预热"):
        pass


# The indexed ``text`` field is title + TITLE_SEPARATOR + body: one field, so that a query is an
# intersection of single posting lists (an OR of title and body fields made whoosh ~30x slower
# at 100k documents), with the title's tokens weighted TITLE_BOOST times.
TITLE_SEPARATOR = "\x1e"
TITLE_BOOST = 3.0

# Full-width ASCII (ＡＢＣ１２３－) and the ideographic space map to their half-width forms. The
# mapping keeps the length of the text, so character offsets stay valid for highlighting.
_FULLWIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)}
_FULLWIDTH[0x3000] = 0x20


def fold_width(text: str) -> str:
    return text.translate(_FULLWIDTH)


def is_word(token: str) -> bool:
    """A token worth indexing: contains a letter, digit or CJK character (not only punctuation)."""
    return token.isalnum() or any(ch.isalnum() for ch in token)


def query_tokens(run: str) -> list[tuple[str, int]]:
    """``(token, offset)`` tiling a run of query text with the finest words the index holds.

    jieba cuts 便民服务中心 as 便民服务/中心 but 服务中心 alone as one word, so the word 服务中心 is
    not in the index for that text. Search mode does index every dictionary 2-gram (and 3-gram)
    inside a longer word, whatever the context, so a long query word is tiled by those pieces
    (服务中心 → 服务 中心) when they cover it, and kept whole otherwise.
    """
    import jieba

    words = list(jieba_tokenize(run, "default"))
    freq = jieba.dt.FREQ  # after the dictionary is loaded
    out: list[tuple[str, int]] = []
    for word, start, _ in words:
        if not is_word(word):
            continue
        word = word.lower()
        pieces = _tile(word, freq) if len(word) > 2 else None
        out.extend([(p, start + i) for p, i in pieces] if pieces else [(word, start)])
    return out


def _tile(word: str, freq: dict) -> list[tuple[str, int]] | None:
    """Cover ``word`` with dictionary pieces of 2 (or, in words longer than 3, 3) characters:
    exactly the pieces jieba's search mode indexes inside a long word. None if impossible."""
    sizes = (2, 3) if len(word) > 3 else (2,)

    def from_(i: int):
        if i == len(word):
            return []
        for size in sizes:
            piece = word[i:i + size]
            if len(piece) == size and freq.get(piece):
                rest = from_(i + size)
                if rest is not None:
                    return [(piece, i), *rest]
        return None

    return from_(0)


class JiebaTokenizer(Tokenizer):
    """Tokens from ``jieba.tokenize`` (search mode when indexing: 2- and 3-character words inside
    longer ones are emitted too, so 窗口 is found in 服务窗口工作人员). Punctuation and whitespace
    tokens are dropped; positions are character offsets (see the module docstring)."""

    def __init__(self, mode: str = "search", title_boost: float = 1.0):
        self.mode = mode
        self.title_boost = title_boost

    def __eq__(self, other):
        return (other.__class__ is self.__class__ and other.mode == self.mode
                and other.title_boost == self.title_boost)

    def __call__(self, value, positions=False, chars=False, keeporiginal=False, removestops=True,
                 start_pos=0, start_char=0, tokenize=True, mode="", **kwargs):
        t = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        if not tokenize:
            t.original = t.text = value
            t.boost = 1.0
            if positions:
                t.pos = start_pos
            if chars:
                t.startchar, t.endchar = start_char, start_char + len(value)
            yield t
            return
        title_end = value.find(TITLE_SEPARATOR) if self.title_boost != 1.0 else -1
        for word, start, end in jieba_tokenize(fold_width(value), self.mode):
            if not is_word(word):
                continue
            t.text = word.lower()
            t.boost = self.title_boost if start < title_end else 1.0
            t.stopped = False
            if keeporiginal:
                t.original = word
            if positions:
                t.pos = start_pos + start
            if chars:
                t.startchar, t.endchar = start_char + start, start_char + end
            yield t


_OPEN_BRACKETS = "[【［〔﹝(（{｛〖"
_CLOSE_BRACKETS = "]】］〕﹞)）}｝〗"
_BRACKETS = str.maketrans(_OPEN_BRACKETS + _CLOSE_BRACKETS,
                          "〔" * len(_OPEN_BRACKETS) + "〕" * len(_CLOSE_BRACKETS))
_SPACES = re.compile(r"\s+")


def normalize_number(text: str) -> str:
    """One form for a case or document number as stored and as typed: 效整[2026]12号,
    效整（2026）12号 and 效整〔2026〕12号 are the same; xt-2026-00017 is XT-2026-00017."""
    text = unicodedata.normalize("NFC", fold_width(text)).translate(_BRACKETS)
    return _SPACES.sub("", text).lower()


class NumberTokenizer(Tokenizer):
    """The whole value as one normalised token (an ID field that forgives bracket styles)."""

    def __eq__(self, other):
        return other.__class__ is self.__class__

    def __call__(self, value, positions=False, chars=False, keeporiginal=False, removestops=True,
                 start_pos=0, start_char=0, tokenize=True, mode="", **kwargs):
        t = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        t.text = normalize_number(value)
        t.boost = 1.0
        if keeporiginal:
            t.original = value
        if positions:
            t.pos = start_pos
        if chars:
            t.startchar, t.endchar = start_char, start_char + len(value)
        yield t
