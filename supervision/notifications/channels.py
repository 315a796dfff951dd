"""Delivery channels behind one small interface. The default writes to a log file, so a fresh
install works offline; e-mail (SMTP) and SMS (an HTTP gateway) are configured in instance config."""

from __future__ import annotations

import json
import smtplib
import urllib.request
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any, Mapping, Protocol


class DeliveryError(Exception):
    pass


class Channel(Protocol):
    name: str
    address_field: str  # the User attribute holding this channel's address ("" for the log)

    def send(self, address: str, subject: str, body: str, *, idempotency_key: str = "") -> None:
        """Deliver one message. ``idempotency_key`` is the same on every attempt of one delivery, so a
        gateway (or a person reading the log) can recognise the resend after a crash."""


@dataclass(frozen=True)
class LogChannel:
    path: Path
    name: str = "log"
    address_field: str = "username"

    def send(self, address: str, subject: str, body: str, *, idempotency_key: str = "") -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        line = json.dumps({"at": datetime.now().isoformat(timespec="seconds"), "to": address,
                           "subject": subject, "body": body, "key": idempotency_key}, ensure_ascii=False)
        with self.path.open("a", encoding="utf-8") as log:
            log.write(line + "\n")


@dataclass(frozen=True)
class SmtpChannel:
    host: str
    port: int = 25
    sender: str = "noreply@localhost"
    username: str = ""
    password: str = ""
    starttls: bool = False
    name: str = "email"
    address_field: str = "email"

    def send(self, address: str, subject: str, body: str, *, idempotency_key: str = "") -> None:
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = self.sender, address, subject
        if idempotency_key:  # the same Message-ID on a resend: mail systems drop the duplicate
            message["Message-ID"] = f"<{idempotency_key}@{self.sender.rpartition('@')[2] or 'localhost'}>"
        message.set_content(body)
        try:
            with smtplib.SMTP(self.host, self.port, timeout=10) as smtp:
                if self.starttls:
                    smtp.starttls()
                if self.username:
                    smtp.login(self.username, self.password)
                smtp.send_message(message)
        except (OSError, smtplib.SMTPException) as error:
            raise DeliveryError(f"SMTP: {error}") from error


@dataclass(frozen=True)
class SmsGatewayChannel:
    """POSTs JSON {"phone", "text", "id"} (plus a token header and an Idempotency-Key header carrying
    the same id on every attempt of one message) to the office's SMS gateway."""

    url: str
    token: str = ""
    name: str = "sms"
    address_field: str = "phone"

    def send(self, address: str, subject: str, body: str, *, idempotency_key: str = "") -> None:
        payload = json.dumps({"phone": address, "text": f"【{subject}】{body}"[:300], "id": idempotency_key},
                             ensure_ascii=False).encode()
        request = urllib.request.Request(self.url, data=payload, method="POST",
                                         headers={"Content-Type": "application/json", "X-Token": self.token,
                                                  "Idempotency-Key": idempotency_key})
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                if response.status >= 300:
                    raise DeliveryError(f"SMS gateway answered {response.status}")
        except OSError as error:
            raise DeliveryError(f"SMS gateway: {error}") from error


def channels_from_config(config: Mapping[str, Any], instance_path: str) -> list[Channel]:
    """NOTIFY_CHANNELS = ["log", "email", "sms"] with SMTP_* and SMS_GATEWAY_* settings."""
    channels: list[Channel] = []
    for name in config.get("NOTIFY_CHANNELS", ["log"]):
        if name == "log":
            channels.append(LogChannel(Path(instance_path) / "notifications.log"))
        elif name == "email" and config.get("SMTP_HOST"):
            channels.append(SmtpChannel(config["SMTP_HOST"], int(config.get("SMTP_PORT", 25)),
                                        config.get("SMTP_SENDER", "noreply@localhost"),
                                        config.get("SMTP_USERNAME", ""), config.get("SMTP_PASSWORD", ""),
                                        bool(config.get("SMTP_STARTTLS", False))))
        elif name == "sms" and config.get("SMS_GATEWAY_URL"):
            channels.append(SmsGatewayChannel(config["SMS_GATEWAY_URL"], config.get("SMS_GATEWAY_TOKEN", "")))
    return channels
