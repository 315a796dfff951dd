"""Reading what a rendered page holds."""

from __future__ import annotations

import re


def csrf_in(html: str) -> str:
    """The CSRF token a page's (first) form carries, as rendered — not the session's own."""
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)
