"""The audit log's secret keys: one current key that signs new entries, older keys that still verify.

The keys live outside the database (``instance/config.py`` or the environment): someone who can write
to the database but not read the server's configuration cannot forge an entry, a row digest or an
anchor line.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

MISSING_KEY = ("AUDIT_KEY 未设置：请在环境变量 AUDIT_KEY 或 instance/config.py 中设置审计日志密钥 "
               "(AUDIT_KEY is not set: set it in the environment, or run "
               "`python -m supervision.setup_instance` to add one to instance/config.py).")


class MissingKey(RuntimeError):
    pass


@dataclass(frozen=True)
class Keyring:
    current_id: str
    keys: Mapping[str, bytes]  # id -> key; includes the current one

    @property
    def current(self) -> bytes:
        return self.keys[self.current_id]

    def key(self, key_id: str) -> bytes | None:
        return self.keys.get(key_id)

    def mac(self, text: str, key_id: str | None = None) -> str:
        """HMAC-SHA256 of ``text`` with the key ``key_id`` (the current one by default), in hex."""
        return hmac.digest(self.keys[key_id or self.current_id], text.encode(), "sha256").hex()

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Keyring:
        keys = {str(key_id): str(key).encode() for key_id, key in (config.get("AUDIT_KEYS") or {}).items()}
        current_id = str(config.get("AUDIT_KEY_ID") or "k1")
        if config.get("AUDIT_KEY"):
            keys[current_id] = str(config["AUDIT_KEY"]).encode()
        if current_id not in keys:
            raise MissingKey(MISSING_KEY)
        return cls(current_id, keys)


# Where the running application's keyring comes from: set by the application factory (``create_app``
# reads it from the configuration of the application in context), so that the core imports no Flask.
_provider: Callable[[], Keyring] | None = None


def use(provider: Callable[[], Keyring]) -> None:
    global _provider
    _provider = provider


def keyring() -> Keyring:
    """The running application's keyring, from its configuration (cheap: a few strings)."""
    if _provider is None:
        raise MissingKey(MISSING_KEY)
    return _provider()


def keyring_if_running() -> Keyring | None:
    """The keyring, or None outside a running application (a script's own session, say)."""
    try:
        return keyring()
    except (MissingKey, RuntimeError):  # RuntimeError: no application in context
        return None
