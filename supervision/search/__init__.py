"""Full-text search (whoosh + jieba). The engine knows nothing of Flask or the database: it takes
plain document dicts and returns plain results; see :mod:`supervision.search.engine`."""

from supervision.search.engine import (
    CheckReport,
    Hit,
    IndexBusy,
    RebuildStats,
    SearchIndex,
    SearchPage,
)

__all__ = ["CheckReport", "Hit", "IndexBusy", "RebuildStats", "SearchIndex", "SearchPage"]
