"""Write ``instance/config.py`` with a fresh random SECRET_KEY if there is none yet.

Run by ``make run`` before anything else, so a newcomer's first start needs no editing, while a
production server that sets SECRET_KEY in its environment is never given a default.
"""

from __future__ import annotations

import os
import secrets
import sys
from pathlib import Path

TEMPLATE = '''# Local settings of this installation. Not committed (instance/ is git-ignored).
SECRET_KEY = "{key}"
# DATABASE_URL in the environment overrides the SQLite file, e.g.
# postgresql+psycopg://supervision@127.0.0.1:5432/supervision
# OFFICE_NAME = "示范市行政效能投诉中心"
'''


def main() -> int:
    root = Path(__file__).resolve().parent.parent
    instance = Path(os.environ.get("SUPERVISION_INSTANCE_PATH") or root / "instance")
    instance.mkdir(parents=True, exist_ok=True)
    config = instance / "config.py"
    if config.exists():
        return 0
    config.write_text(TEMPLATE.format(key=secrets.token_hex(32)), encoding="utf-8")
    config.chmod(0o600)
    print(f"wrote {config} with a new random SECRET_KEY")
    return 0


if __name__ == "__main__":
    sys.exit(main())
