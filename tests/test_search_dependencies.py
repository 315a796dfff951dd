"""The private names of whoosh and jieba that the search engine relies on, checked on real objects.

whoosh and jieba are pinned to exact versions in pyproject.toml. An upgrade that renames or removes one of
these names fails here, loudly, instead of making searches slow (a fallback path) or wrong. When this test
fails after an upgrade: read the new version's code for each name, adapt the engine, then the pins.
"""

from __future__ import annotations

import re
from importlib.metadata import version
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def pinned(name: str) -> str:
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    found = re.search(rf'"{name}==([\w.]+)"', text, re.IGNORECASE)
    assert found, f"{name} must be pinned to an exact version (==) in pyproject.toml"
    return found.group(1)


@pytest.mark.parametrize("name", ["whoosh", "jieba"])
def test_whoosh_and_jieba_are_pinned_and_installed_at_the_pin(name):
    assert version(name) == pinned(name)


def has(obj, *names: str) -> list[str]:
    return [n for n in names if not hasattr(obj, n)]


def test_whoosh_module_level_private_names():
    from whoosh import index, system

    assert hasattr(system, "_INT_SIZE")  # analysis.CharPositions decodes positions itself
    assert index._DEF_INDEX_NAME == "MAIN"  # engine: the write lock's and the temp folder's names
    assert callable(index.clean_files)  # engine.remove_unused_files


def test_whoosh_writer_private_names_used_by_the_rebuild_pool():
    from whoosh.codec.whoosh3 import W3PostingsWriter
    from whoosh.multiproc import MpWriter, SubWriterTask
    from whoosh.writing import SegmentWriter

    # pool.TermPoolSegmentWriter.add_document / _flush_segment and _TermPoolTask.run
    assert not has(SegmentWriter, "_check_state", "_doc_boost", "_check_fields", "_field_boost",
                   "_finalize_segment", "_flush_segment", "_commit_toc", "_finish")
    assert not has(SubWriterTask, "_process_file", "run")
    assert not has(MpWriter, "_new_task", "_commit", "_enqueue")
    assert not has(W3PostingsWriter, "_write_block")  # pool._fill_blocks


def test_private_attributes_on_real_writer_reader_and_matcher_objects(tmp_path):
    """Instance attributes exist only on live objects: build a small index and look."""
    from datetime import datetime

    from whoosh.codec.whoosh3 import W3LeafMatcher

    from supervision.search.engine import SearchIndex, TfIdfCodec
    from supervision.search.pool import TermPoolSegmentWriter

    index = SearchIndex(tmp_path / "ix")
    docs = [{"id": f"matter:{n}", "kind": "matter", "title": f"窗口投诉{n}", "body": "窗口工作人员推诿扯皮。",
             "created": datetime(2026, 5, n), "version": 1} for n in range(1, 4)]
    index.rebuild(docs, procs=1)

    writer = TermPoolSegmentWriter(index._ix, codec=TfIdfCodec())
    try:
        assert not has(writer, "schema", "perdocwriter", "docnum", "pool", "fieldwriter", "_added", "codec")
        writer.fieldwriter.start_field("text", writer.schema["text"])
        writer.fieldwriter.start_term(b"x")  # the postings writer exists from the first term on
        postwriter = writer.fieldwriter._postwriter
        assert not has(postwriter, "_blocklimit", "_ids", "_weights", "_maxweight", "_values")
    finally:
        writer.cancel()

    searcher = index._searcher()
    reader = next(r for r, _ in searcher.reader().leaf_readers() if r.doc_count_all())
    column = reader.column_reader("created", translate=False)
    assert not has(column, "_typecode", "_dbfile", "_basepos", "_count", "_fixedlen", "_default")
    matcher = reader.postings("text", next(t for t in reader.lexicon("text")))
    assert isinstance(matcher, W3LeafMatcher)  # several postings: a block matcher, read block by block
    assert not has(matcher, "_data", "_read_data", "_blocklength", "_lastblock", "_goto", "_nextoffset")
    assert not has(index._ix, "_segments", "latest_generation")


def test_jieba_private_names():
    import jieba

    jieba.setLogLevel(60)
    jieba.initialize()
    # analysis._tokenize re-implements jieba's cut on its dictionary and regular expressions
    assert not has(jieba, "re_han_default", "re_skip_default", "re_eng", "dt", "tokenize")
    assert isinstance(jieba.dt.FREQ, dict) and isinstance(jieba.dt.total, int)
