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
import sys
import threading
import unicodedata
from array import array
from math import log

from whoosh.analysis import Token, Tokenizer
from whoosh.formats import Existence, Positions
from whoosh.system import _INT_SIZE, pack_uint

# Bump when the tokens produced for a text change: the index must then be rebuilt.
ANALYSIS_FORMAT = 1

# jieba runs without its HMM: the HMM guesses unknown words (names) from context, so the same name
# may be one token in one sentence and two in another; without it unknown words fall apart into
# single characters, consistently, and a phrase still matches them exactly. It is also faster.

_jieba_lock = threading.Lock()
_jieba = None  # the module, once its dictionary is loaded
_logp: dict[str, float | None] = {}  # word -> log P(word) (None: only a prefix of a word)
_MISSING = object()


def _dictionary():
    """jieba with its dictionary loaded, once per process, quietly."""
    global _jieba
    if _jieba is None:
        with _jieba_lock:
            if _jieba is None:
                import jieba  # not jieba.analyse: that costs ~95 MiB more

                jieba.setLogLevel(60)
                jieba.initialize()
                _jieba = jieba
    return _jieba


def jieba_tokenize(text: str, mode: str = "default") -> list[tuple[str, int, int]]:
    """``list(jieba.tokenize(text, mode, HMM=False))``, computed ~2.5x faster.

    jieba's own path builds a DAG dict, then a route dict with a ``log`` per candidate word, through
    three layers of generators; here one backward pass reads each word's log probability from a
    cache. Same dictionary, same floating-point sums, same tie-breaking, hence the same tokens
    (``tests/test_search_engine.py`` compares both on varied text)."""
    jieba = _dictionary()
    freq = jieba.dt.FREQ
    re_han, re_skip = jieba.re_han_default, jieba.re_skip_default
    out: list[tuple[str, int, int]] = []
    search = mode == "search"
    start = 0
    for block in re_han.split(text):
        if not block:
            continue
        if re_han.match(block):
            words = _cut_block(block, freq, jieba.re_eng, jieba.dt.total)
        else:
            words = []
            for piece in re_skip.split(block):
                if re_skip.match(piece):
                    words.append(piece)
                else:
                    words.extend(piece)  # one token per character, as jieba does
        for w in words:
            width = len(w)
            if search and width > 2:  # jieba's search mode: the dictionary 2- and 3-grams inside
                for i in range(width - 1):
                    if freq.get(w[i:i + 2]):
                        out.append((w[i:i + 2], start + i, start + i + 2))
                if width > 3:
                    for i in range(width - 2):
                        if freq.get(w[i:i + 3]):
                            out.append((w[i:i + 3], start + i, start + i + 3))
            out.append((w, start, start + width))
            start += width
    return out


def _cut_block(sentence: str, freq: dict, re_eng, total: int) -> list[str]:
    """jieba's ``__cut_DAG_NO_HMM`` (``get_DAG`` + ``calc`` + the route walk) in one pass."""
    freq_get, logp_get, logtotal = freq.get, _logp.get, log(total)
    n = len(sentence)
    scores = [0.0] * (n + 1)
    ends = [0] * (n + 1)
    for idx in range(n - 1, -1, -1):
        best = None
        best_end = idx
        j = idx + 1
        frag = sentence[idx]
        while True:  # every dictionary word starting at idx (FREQ holds their prefixes, as 0)
            lp = logp_get(frag, _MISSING)
            if lp is _MISSING:
                f = freq_get(frag)
                if f is None:
                    break
                lp = _logp[frag] = (log(f) - logtotal) if f else None
            if lp is not None:
                score = lp + scores[j]
                if best is None or score >= best:  # jieba's max((score, end)): ties go to the longer
                    best, best_end = score, j - 1
            if j >= n:
                break
            j += 1
            frag = sentence[idx:j]
        if best is None:  # no word: the character alone
            best = log(freq_get(sentence[idx]) or 1) - logtotal + scores[idx + 1]
        scores[idx] = best
        ends[idx] = best_end
    words: list[str] = []
    x, buf = 0, ""
    while x < n:
        y = ends[x] + 1
        word = sentence[x:y]
        if y - x == 1 and re_eng.match(word):  # runs of single ASCII letters/digits are glued
            buf += word
        else:
            if buf:
                words.append(buf)
                buf = ""
            words.append(word)
        x = y
    if buf:
        words.append(buf)
    return words


def warm_up() -> None:
    """Load jieba's dictionary now (~1 s, ~60 MiB): at application start in a server (gunicorn
    ``--preload`` then shares it between workers), before forking indexing processes."""
    jieba_tokenize("预热")


# The indexed ``text`` field is title + TITLE_SEPARATOR + body: one field, so that a query is an
# intersection of single posting lists (an OR of title and body fields made whoosh ~30x slower
# at 100k documents), with the title's tokens weighted TITLE_BOOST times.
TITLE_SEPARATOR = "\x1e"
TITLE_BOOST = 3.0

# Full-width ASCII (ＡＢＣ１２３－) and the ideographic space map to their half-width forms. The
# mapping keeps the length of the text, so character offsets stay valid for highlighting.
_FULLWIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)}
_FULLWIDTH[0x3000] = 0x20


_HAS_FULLWIDTH = re.compile("[\uff01-\uff5e\u3000]")


def fold_width(text: str) -> str:
    # str.translate with a dict looks up every character (~15 µs for 300 characters); most texts
    # have nothing to fold, and the regex finds that out ~20x faster
    return text.translate(_FULLWIDTH) if _HAS_FULLWIDTH.search(text) else text


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
    words = jieba_tokenize(run, "default")
    freq = _dictionary().dt.FREQ
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

    def term_weights(self, value: str) -> dict[str, list]:
        """``{token: [count, weight]}`` of ``value``: what :class:`TermWeights` needs, without
        whoosh's Token objects and generators (a third of the analysis cost when indexing)."""
        title_end = value.find(TITLE_SEPARATOR) if self.title_boost != 1.0 else -1
        boost = self.title_boost
        out: dict[str, list] = {}
        for word, start, _ in jieba_tokenize(fold_width(value), self.mode):
            if not (word.isalnum() or is_word(word)):
                continue
            word = word.lower()
            entry = out.get(word)
            if entry is None:
                entry = out[word] = [0, 0.0]
            entry[0] += 1
            entry[1] += boost if start < title_end else 1.0
        return out


    def term_positions(self, value: str) -> dict[str, list[int]]:
        """``{token: [character offset, ...]}`` of ``value``, for :class:`CharPositions`."""
        out: dict[str, list[int]] = {}
        for word, start, _ in jieba_tokenize(fold_width(value), self.mode):
            if word.isalnum() or is_word(word):
                out.setdefault(word.lower(), []).append(start)
        return out


class TermWeights(Existence):
    """A weight per document and term, nothing else (whoosh 3 keeps weights apart from the posting
    values, which this format leaves empty), fed by :meth:`JiebaTokenizer.term_weights`: the score
    reads the weight (the count, the title's tokens counted TITLE_BOOST times); the count itself
    was stored as a value no query read. Positions would cost a pickle per posting when indexing and
    a third of the index; phrases in stored fields are checked on the stored text instead."""

    def word_values(self, value, analyzer, **kwargs):
        term_weights = getattr(analyzer, "term_weights", None)
        if term_weights is None or not isinstance(value, str):
            yield from super().word_values(value, analyzer, **kwargs)
            return
        fb = self.field_boost
        for word, (count, weight) in term_weights(value).items():
            yield word, count, weight * fb, b""

    def index_items(self, value, analyzer) -> list[tuple] | None:
        """What whoosh's ``field.index(value)`` yields, as one list (the rebuild's writer calls
        this per document: two generator layers fewer). None: use ``field.index``."""
        term_weights = getattr(analyzer, "term_weights", None)
        if term_weights is None or not isinstance(value, str):
            return None
        fb = self.field_boost
        return [(word.encode("utf-8"), count, weight * fb, b"")
                for word, (count, weight) in term_weights(value).items()]


class CharPositions(Positions):
    """whoosh's ``Positions`` format (positions are character offsets here), fed by
    :meth:`JiebaTokenizer.term_positions`, with positions stored as a plain array of 32-bit
    integers instead of a pickle per posting (5x cheaper to write and to read)."""

    def word_values(self, value, analyzer, **kwargs):
        term_positions = getattr(analyzer, "term_positions", None)
        if term_positions is None or not isinstance(value, str):
            yield from super().word_values(value, analyzer, **kwargs)
            return
        fb = self.field_boost
        for word, positions in term_positions(value).items():
            yield word, len(positions), len(positions) * fb, self.encode(positions)

    def index_items(self, value, analyzer) -> list[tuple] | None:
        """As :meth:`TermWeights.index_items`."""
        term_positions = getattr(analyzer, "term_positions", None)
        if term_positions is None or not isinstance(value, str):
            return None
        fb, encode = self.field_boost, self.encode
        return [(word.encode("utf-8"), len(positions), len(positions) * fb, encode(positions))
                for word, positions in term_positions(value).items()]

    def encode(self, poslist):
        positions = array("I", poslist)
        if _BIG_ENDIAN:  # stored little-endian, whatever the machine
            positions.byteswap()
        return pack_uint(len(poslist)) + positions.tobytes()

    def decode_positions(self, valuestring):
        positions = array("I")
        positions.frombytes(valuestring[_INT_SIZE:])
        if _BIG_ENDIAN:
            positions.byteswap()
        return positions.tolist()


_BIG_ENDIAN = sys.byteorder == "big"
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
