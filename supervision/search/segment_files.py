"""Reading a whoosh segment's parts from its memory map without copying them.

whoosh maps each compound segment file (``*.seg``) into memory and hands out each part (the term index,
the postings, the columns …) as a ``BufferFile`` over a slice of the map — but ``BufferFile`` wraps the
slice in ``io.BytesIO``, which copies it. Opening a searcher therefore read and copied every part of
every segment: at 1,000,000 matters (a 2.2 GB index in two segments) 1.2 s of the first search in each
worker, and a private copy of most of the index in each worker's memory (docs/benchmarks.md, issue 21).

``ViewFile`` is the same ``BufferFile`` reading through a cursor over the slice: the bytes are read from
the map (the operating system's page cache, shared by every worker) only where a search reads them.
whoosh is no longer maintained, so its one use of ``BufferFile`` for mapped parts is replaced here, once,
when the search engine is imported.
"""

from __future__ import annotations

from whoosh.filedb import compound, structfile


class BufferCursor:
    """A read-only file over a buffer (a ``memoryview`` of the map): ``read``, ``readline``, ``seek``,
    ``tell`` as ``io.BytesIO`` has them, without a copy of the buffer."""

    def __init__(self, buffer) -> None:
        self._buffer = buffer
        self._position = 0

    def read(self, size: int | None = -1) -> bytes:
        start = self._position
        end = len(self._buffer) if size is None or size < 0 else min(start + size, len(self._buffer))
        self._position = max(start, end)
        return bytes(self._buffer[start:end])

    def readline(self, size: int | None = -1) -> bytes:
        end = len(self._buffer) if size is None or size < 0 else min(self._position + size, len(self._buffer))
        line = bytearray()
        while self._position < end:
            chunk = bytes(self._buffer[self._position:min(self._position + 256, end)])
            newline = chunk.find(b"\n")
            if newline >= 0:
                line += chunk[:newline + 1]
                self._position += newline + 1
                break
            line += chunk
            self._position += len(chunk)
        return bytes(line)

    def seek(self, offset: int, whence: int = 0) -> int:
        base = (0, self._position, len(self._buffer))[whence]
        if base + offset < 0:
            raise ValueError("negative seek position")
        self._position = base + offset
        return self._position

    def tell(self) -> int:
        return self._position

    def close(self) -> None:
        self._buffer = b""


class ViewFile(structfile.BufferFile):
    """whoosh's ``BufferFile`` without the copy: ``get`` and ``get_array`` already slice the buffer."""

    def __init__(self, buf, name=None, onclose=None) -> None:  # BufferFile's own signature
        self._buf = buf
        self._name = name
        self.file = BufferCursor(buf)
        self.onclose = onclose
        self.is_real = False
        self.is_closed = False

    def subset(self, position, length, name=None):
        return ViewFile(self._buf[position:position + length], name=name or self._name)


def install() -> None:
    """Make whoosh's compound storage hand out ``ViewFile`` for the parts of a mapped segment."""
    compound.BufferFile = ViewFile
