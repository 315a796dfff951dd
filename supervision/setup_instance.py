"""Write ``instance/config.py`` with a fresh random SECRET_KEY and AUDIT_KEY if there is none yet.

Run by ``make run`` before anything else, so a newcomer's first start needs no editing, while a
production server that sets SECRET_KEY (and AUDIT_KEY) in its environment is never given a default.
An installation whose config.py predates the keyed audit log gets an AUDIT_KEY appended.
"""

from __future__ import annotations

import os
import re
import secrets
import sys
from pathlib import Path

TEMPLATE = '''# Local settings of this installation. Not committed (instance/ is git-ignored).
SECRET_KEY = "{key}"
{audit}# DATABASE_URL in the environment overrides the SQLite file, e.g.
# postgresql+psycopg://supervision@127.0.0.1:5432/supervision
# OFFICE_NAME = "示范市行政效能投诉中心"
'''

AUDIT_TEMPLATE = '''# The audit log's key (HMAC): keep it secret and out of the database's backups, keep a copy in a safe.
# Rotation (README): move the current key into AUDIT_KEYS under its id, then set a new key and id.
AUDIT_KEY = "{key}"
AUDIT_KEY_ID = "{key_id}"
# AUDIT_KEYS = {{"k1": "…"}}  # older keys, kept so that entries written with them still verify
'''


def audit_settings(key_id: str = "k1") -> str:
    return AUDIT_TEMPLATE.format(key=secrets.token_hex(32), key_id=key_id)


def main() -> int:
    root = Path(__file__).resolve().parent.parent
    instance = Path(os.environ.get("SUPERVISION_INSTANCE_PATH") or root / "instance")
    instance.mkdir(parents=True, exist_ok=True)
    config = instance / "config.py"
    audit = "" if os.environ.get("AUDIT_KEY") else audit_settings()
    if not config.exists():
        config.write_text(TEMPLATE.format(key=secrets.token_hex(32), audit=audit), encoding="utf-8")
        config.chmod(0o600)
        print(f"wrote {config} with a new random SECRET_KEY" + (" and AUDIT_KEY" if audit else ""))
        return 0
    if audit and not re.search(r"^AUDIT_KEY\s*=", config.read_text(encoding="utf-8"), re.MULTILINE):
        with config.open("a", encoding="utf-8") as file:
            file.write("\n" + audit)
        print(f"added a new random AUDIT_KEY to {config}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
