"""Writing a rebuilt index fast: postings grouped by term as they arrive, and whoosh's
multiprocessing writer driven with that pool.

whoosh's own ``PostingPool`` keeps one tuple per posting, pickles each one to a run file whenever
``limitmb`` is reached and merges the runs with ``heapq`` at the end: at 100,000 documents (~130
postings each) that was about half of the indexing time. Here a posting is a few bytes appended to
its term's arrays; when the pool is full the terms are written, sorted, to a run file one record
per term, and the runs are merged per term (not per posting). Documents arrive in increasing
document numbers (the writer adds new documents only), so a term's arrays are already in posting
order, and runs hold later documents than the runs before them. What reaches the segment is
the same as whoosh would write (``tests/test_search_engine.py`` compares both).
"""

from __future__ import annotations

import ctypes
import heapq
import marshal
import os
import pickle
import queue
import signal
import sys
import tempfile
from array import array
from collections.abc import Iterator

from whoosh.multiproc import MpWriter, SubWriterTask
from whoosh.util import random_name
from whoosh.writing import SegmentWriter

class IncompleteSegments(Exception):
    """A rebuild's indexing processes did not write every document (nothing was committed)."""


_TERM_OVERHEAD = 400  # bytes: the key tuple, four arrays and the dict slot of a new term
_POSTING_SIZE = 20  # bytes: document number, weight (double), value end offset, and slack


class _TermPostings:
    """One term's postings: parallel arrays, values concatenated."""

    __slots__ = ("docs", "weights", "values", "ends")

    def __init__(self) -> None:
        self.docs = array("i")
        self.weights = array("d")
        self.values = bytearray()
        self.ends = array("I")

    def dump(self) -> tuple[bytes, bytes, bytes, bytes]:
        return self.docs.tobytes(), self.weights.tobytes(), bytes(self.values), self.ends.tobytes()

    @classmethod
    def load(cls, record: tuple[bytes, bytes, bytes, bytes]) -> _TermPostings:
        postings = cls()
        postings.docs.frombytes(record[0])
        postings.weights.frombytes(record[1])
        postings.values += record[2]
        postings.ends.frombytes(record[3])
        return postings

    def extend(self, other: _TermPostings) -> None:
        offset = len(self.values)
        self.docs.extend(other.docs)
        self.weights.extend(other.weights)
        self.values += other.values
        self.ends.extend(end + offset for end in other.ends)


class TermPool:
    """The postings of the segment being written, grouped by ``(fieldname, term bytes)``: filled
    a document's field at a time (:meth:`add_field`), written by :meth:`write_to`; ``fieldnames``
    and ``cleanup`` as whoosh's writers expect of a pool."""

    def __init__(self, limitmb: float = 128, directory: str | None = None) -> None:
        self.limit = limitmb * 1024 * 1024
        self.directory = directory  # of the run files; None: the system's temporary directory
        self.fieldnames: set[str] = set()
        self.size = 0
        self.terms: dict[tuple[str, bytes], _TermPostings] = {}
        self.runs: list[str] = []

    def add_field(self, fieldname: str, docnum: int, items, boost: float) -> int:
        """The postings of one document's field: every ``(tbytes, freq, weight, vbytes)`` that
        ``field.index`` gives; returns the sum of the frequencies (the field's length)."""
        terms, length, size = self.terms, 0, 0
        for tbytes, freq, weight, vbytes in items:
            length += freq
            postings = terms.get((fieldname, tbytes))
            if postings is None:
                postings = terms[(fieldname, tbytes)] = _TermPostings()
                size += _TERM_OVERHEAD + len(tbytes)
            postings.docs.append(docnum)
            postings.weights.append(weight * boost)
            if vbytes:
                postings.values += vbytes
                size += len(vbytes)
            postings.ends.append(len(postings.values))
            size += _POSTING_SIZE
        self.fieldnames.add(fieldname)
        self.size += size
        if self.size > self.limit:
            self.save()
        return length

    def save(self) -> None:
        """Write the terms held in memory to a run file, sorted, one record per term."""
        if not self.terms:
            return
        fd, path = tempfile.mkstemp(suffix=".run", prefix="postings-", dir=self.directory)
        with os.fdopen(fd, "wb") as f:
            for key in sorted(self.terms):
                marshal.dump((key, self.terms[key].dump()), f)
        self.runs.append(path)
        self.terms = {}
        self.size = 0

    def grouped(self) -> Iterator[tuple[str, bytes, _TermPostings]]:
        """Every term in (fieldname, term) order with all its postings."""
        if not self.runs:
            for key in sorted(self.terms):
                yield key[0], key[1], self.terms[key]
            return
        self.save()
        merged = heapq.merge(*(_read_run(path, n) for n, path in enumerate(self.runs)))
        current_key, current = None, None
        for key, _, record in merged:
            postings = _TermPostings.load(record)
            if key == current_key:
                current.extend(postings)  # runs are in document order: still ascending
                continue
            if current is not None:
                yield current_key[0], current_key[1], current
            current_key, current = key, postings
        if current is not None:
            yield current_key[0], current_key[1], current

    def write_to(self, fieldwriter, schema) -> None:
        """Write every posting list through a whoosh 3 ``FieldWriter``: its posting writer's
        blocks are filled a block at a time from the term's arrays (what ``add_posting`` does one
        posting at a time), then written by whoosh. Document lengths are not recorded: the codec
        has no length statistics."""
        last_field = None
        for fieldname, tbytes, postings in self.grouped():
            if fieldname != last_field:
                if last_field is not None:
                    fieldwriter.finish_field()
                fieldwriter.start_field(fieldname, schema[fieldname])
                last_field = fieldname
            fieldwriter.start_term(tbytes)
            _fill_blocks(fieldwriter._postwriter, postings)
            fieldwriter.finish_term()
        if last_field is not None:
            fieldwriter.finish_field()

    def cleanup(self) -> None:
        for path in self.runs:
            try:
                os.remove(path)
            except OSError:
                pass
        self.runs = []
        self.terms = {}


def _fill_blocks(writer, postings: _TermPostings) -> None:
    """``W3PostingsWriter.add_posting`` for all of a term's postings, a block at a time: a full
    block is written when the next posting arrives, the last one by ``finish_postings``."""
    limit = writer._blocklimit
    docs, weights = postings.docs, postings.weights
    data, ends = bytes(postings.values), postings.ends
    for start in range(0, len(docs), limit):
        if writer._ids:
            writer._write_block()  # also starts the next block
        stop = start + limit
        writer._ids = array("I", docs[start:stop])
        block_weights = weights[start:stop]
        writer._weights = array("f", block_weights)
        writer._maxweight = max(0, max(block_weights))
        if data:
            first = ends[start - 1] if start else 0
            writer._values = [data[a:b] for a, b in zip((first, *ends[start:stop - 1]), ends[start:stop]) if b > a]


def _read_run(path: str, n: int) -> Iterator[tuple]:
    """A run's records as ``(key, run number, record)``: the run number keeps equal terms of
    different runs in run (document) order in the merge."""
    with open(path, "rb") as f:
        while True:
            try:
                key, record = marshal.load(f)
            except EOFError:
                return
            yield key, n, record


class TermPoolSegmentWriter(SegmentWriter):
    """whoosh's segment writer with :class:`TermPool` instead of ``PostingPool``. For writing new
    documents (a rebuild): merging other segments into it is left to whoosh's own writer."""

    def __init__(self, ix, *, limitmb: float = 128, **kwargs) -> None:
        super().__init__(ix, limitmb=limitmb, **kwargs)
        unsupported = [name for name, field in self.schema.items() if field.vector or field.separate_spelling()]
        if unsupported:
            raise ValueError(f"fields with vectors or separate spelling are not supported: {unsupported}")
        if self.codec.length_stats:
            raise ValueError("a codec with per-posting length statistics is not supported (use TfIdfCodec)")
        self.pool.cleanup()
        self.pool = TermPool(limitmb=limitmb, directory=getattr(ix.storage, "folder", None))  # beside the index

    def add_document(self, **fields) -> None:
        """whoosh's ``SegmentWriter.add_document`` with the postings of a field handed to the pool
        in one call (not one call and one tuple per posting). The schema has no spelling or
        vector fields (checked in ``__init__``)."""
        self._check_state()
        schema, perdocwriter, docnum, pool = self.schema, self.perdocwriter, self.docnum, self.pool
        docboost = self._doc_boost(fields)
        fieldnames = sorted(name for name in fields if not name.startswith("_"))
        self._check_fields(schema, fieldnames)
        perdocwriter.start_doc(docnum)
        for fieldname in fieldnames:
            value = fields.get(fieldname)
            if value is None:
                continue
            field = schema[fieldname]
            length = 0
            if field.indexed:
                index_items = getattr(field.format, "index_items", None)  # analysis.TermWeights …
                items = index_items(value, field.analyzer) if index_items else None
                length = pool.add_field(fieldname, docnum, field.index(value) if items is None else items,
                                        self._field_boost(fields, fieldname, docboost))
                if not field.scorable:
                    length = 0
            stored = fields.get(f"_stored_{fieldname}", value)
            perdocwriter.add_field(fieldname, field, stored if field.stored else None, length)
            if field.column_type and stored is not None:
                perdocwriter.add_column_value(fieldname, field.column_type, field.to_column_value(stored))
        perdocwriter.finish_doc()
        self._added = True
        self.docnum += 1

    def add_reader(self, reader) -> None:
        # merged postings would reach the pool out of document order
        raise NotImplementedError("TermPoolSegmentWriter writes new documents only; commit with mergetype=CLEAR")

    def _flush_segment(self) -> None:
        self.perdocwriter.close()
        self.pool.write_to(self.fieldwriter, self.schema)
        self.fieldwriter.close()


_PR_SET_PDEATHSIG = 1


def die_with_parent(parent_pid: int) -> None:
    """Have the kernel kill this (forked) process when its parent dies (Linux): an indexing process
    inherits the parent's lock files, and one outliving a killed ``flask search reindex`` would hold
    the index's write lock for ever."""
    if sys.platform.startswith("linux"):
        try:
            ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
        except (OSError, AttributeError):  # no prctl: the parent's own clean-up still terminates us
            pass
    if os.getppid() != parent_pid:  # the parent died before the line above
        os._exit(1)


class _TermPoolTask(SubWriterTask):
    """whoosh's indexing subprocess, writing its own segment with :class:`TermPoolSegmentWriter`."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.parent_pid = os.getpid()

    def run(self) -> None:  # SubWriterTask.run with the writer class replaced (multisegment only)
        die_with_parent(self.parent_pid)
        ix = self.storage.open_index(self.indexname)
        writer = self.writer = TermPoolSegmentWriter(ix, _lk=False, **self.kwargs)
        while self.running:
            jobinfo = self.jobqueue.get()
            if jobinfo is None:
                break
            self._process_file(*jobinfo)
        if not self.running:
            writer.cancel()
            return
        fieldnames = writer.pool.fieldnames
        segment = writer._finalize_segment()
        self.resultqueue.put((None, fieldnames, segment), timeout=5)


class TermPoolMpWriter(MpWriter):
    """whoosh's multiprocessing writer (one segment per process), its processes writing with
    :class:`TermPool`."""

    def __init__(self, ix, procs: int, **kwargs) -> None:
        super().__init__(ix, procs=procs, multisegment=True, **kwargs)
        self.added = 0

    def add_document(self, **fields) -> None:
        super().add_document(**fields)
        self.added += 1

    # whoosh puts to the job queue and joins its processes without a timeout. An indexing process
    # killed while it waits for its next batch dies holding the queue's read lock: the other process
    # then waits for that lock, and the parent for room in the full queue, for ever — holding the
    # index's write lock. Here every wait is short and, between waits, a dead process fails the rebuild.
    _WAIT = 0.5  # seconds

    def _raise_if_a_process_died(self) -> None:
        for task in self.tasks:
            if task.exitcode not in (None, 0):  # before its end-of-work marker, no process exits
                raise IncompleteSegments(f"an indexing process (pid {task.pid}) died, exit code {task.exitcode}")

    def _put(self, item) -> None:
        while True:
            try:
                self.jobqueue.put(item, timeout=self._WAIT)
                return
            except queue.Full:
                self._raise_if_a_process_died()

    def _enqueue(self) -> None:
        """whoosh's ``_enqueue`` (the batch pickled to a job file), put with :meth:`_put`."""
        filename = f"{random_name()}.doclist"
        with self.temp_storage().create_file(filename).raw_file() as f:
            for item in self.docbuffer:
                pickle.dump(item, f, 2)
        if len(self.tasks) < self.procs:
            self._new_task()
        self._put((filename, len(self.docbuffer)))
        self.docbuffer = []

    def _commit(self, mergetype, optimize, merge) -> None:
        """whoosh's ``MpWriter._commit`` for ``multisegment`` (each process's segment kept as it is),
        waiting with :meth:`_put` and :meth:`_join`."""
        if self.docbuffer:
            self._enqueue()
        for _ in self.tasks:
            self._put(None)  # the end of the work
        finalsegments = self._merge_segments(mergetype, optimize, merge)
        self._join()
        results = []
        for _ in self.tasks:
            try:
                results.append(self.resultqueue.get(timeout=1))
            except queue.Empty:  # a process that wrote nothing; _commit_toc counts the documents
                pass
        finalsegments += [segment for _, _, segment in results]
        if self._added:
            finalsegments.append(self._finalize_segment())
        else:
            self._close_segment()
        self._commit_toc(finalsegments)
        self._finish()

    def _join(self) -> None:
        while any(task.is_alive() for task in self.tasks):
            self._raise_if_a_process_died()
            for task in self.tasks:
                task.join(self._WAIT / len(self.tasks))
        self._raise_if_a_process_died()

    def _commit_toc(self, segments) -> None:
        """whoosh drops the segment of an indexing process that died (killed, out of memory, a full
        disk) without a word: refuse to commit an index that lacks documents (a rebuild clears the
        old segments, so the new ones must hold every document added)."""
        written = sum(segment.doc_count_all() for segment in segments)
        if written != self.added:
            raise IncompleteSegments(f"the indexing processes wrote {written} of {self.added} documents")
        super()._commit_toc(segments)

    def terminate_tasks(self) -> None:
        """Stop the indexing processes (whoosh's ``cancel`` only flags its own copies of them)."""
        for task in self.tasks:
            if task.is_alive():
                task.terminate()
        for task in self.tasks:
            task.join(5)

    def _new_task(self):
        task = _TermPoolTask(self.storage, self.indexname, self.jobqueue, self.resultqueue,
                             self.subargs, self.multisegment)
        self.tasks.append(task)
        task.start()
        return task
