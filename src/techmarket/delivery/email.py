"""E-mail notifications: a Chinese message with a link to what it is about and a
one-click unsubscribe for its kind (RFC 8058), sent over SMTP."""

from __future__ import annotations

import email.utils
from dataclasses import dataclass, field
from datetime import datetime
from email.message import EmailMessage
from html import escape
from urllib.parse import parse_qs, unquote, urlsplit

import aiosmtplib

from techmarket.delivery.rules import SENT, Outcome, Status
from techmarket.models.notification import Notification
from techmarket.web import reasons

TIMEOUT = 10.0  # seconds for each SMTP exchange


@dataclass(frozen=True)
class Smtp:
    """Where mail goes, from ``TECHMARKET_SMTP_URL``."""

    hostname: str
    port: int
    username: str | None
    password: str | None = field(repr=False)  # never in a log line
    use_tls: bool  # smtps: TLS from the start
    start_tls: bool | None  # None: if the server offers it

    @classmethod
    def parse(cls, url: str) -> Smtp:
        parts = urlsplit(url)
        tls = parts.scheme == "smtps"
        flag = parse_qs(parts.query).get("starttls", [""])[0].lower()
        return cls(
            hostname=parts.hostname or "localhost",
            port=parts.port or (465 if tls else 587),
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
            use_tls=tls,
            start_tls={"true": True, "false": False}.get(flag),
        )


@dataclass(frozen=True)
class Letter:
    """What one e-mail says, and where its links lead."""

    notification: Notification
    to: str
    message_id: str  # the same on every attempt: a receiver drops a duplicate
    link: str
    unsubscribe: str
    sender: str
    sent_at: datetime


def compose(letter: Letter) -> EmailMessage:
    n = letter.notification
    message = EmailMessage()
    message["Subject"] = f"【技术市场】{n.title}"
    message["From"] = letter.sender
    message["To"] = letter.to
    message["Date"] = email.utils.format_datetime(letter.sent_at)
    message["Message-ID"] = letter.message_id
    message["Auto-Submitted"] = "auto-generated"
    message["List-Unsubscribe"] = f"<{letter.unsubscribe}>"
    message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    why = [reasons.text(r) for r in n.reasons]
    message.set_content(
        f"{n.title}\n\n{n.body}\n\n"
        + "".join(f"· {w}\n" for w in why)
        + f"\n查看详情：{letter.link}\n\n不再接收此类邮件：{letter.unsubscribe}\n"
    )
    listed = "".join(f"<li>{escape(w)}</li>" for w in why)
    message.add_alternative(
        f"""<!doctype html>
<html lang="zh-CN"><body>
<h1 style="font-size:18px">{escape(n.title)}</h1>
<p>{escape(n.body)}</p>
{f"<ul>{listed}</ul>" if listed else ""}
<p><a href="{escape(letter.link)}">查看详情</a></p>
<p style="color:#666;font-size:12px"><a href="{escape(letter.unsubscribe)}">不再接收此类邮件</a></p>
</body></html>
""",
        subtype="html",
    )
    return message


def message_id(delivery_uuid: str, sender: str) -> str:
    domain = email.utils.parseaddr(sender)[1].rpartition("@")[2] or "techmarket.invalid"
    return f"<{delivery_uuid}@{domain}>"


async def send(smtp: Smtp, message: EmailMessage) -> Outcome:
    """Hand the message to the SMTP server: sent, refused for good (no such recipient),
    or to be tried again (server down, busy, or refusing for now)."""
    try:
        await aiosmtplib.send(
            message,
            hostname=smtp.hostname,
            port=smtp.port,
            username=smtp.username,
            password=smtp.password,
            use_tls=smtp.use_tls,
            start_tls=smtp.start_tls,
            timeout=TIMEOUT,
        )
    except aiosmtplib.SMTPRecipientsRefused as exc:
        codes = [e.code for e in exc.recipients]
        final = all(500 <= code < 600 for code in codes)
        return Outcome(Status.pending, codes[0] if codes else None, str(exc), final=final)
    except aiosmtplib.SMTPResponseException as exc:
        return Outcome(Status.pending, exc.code, exc.message)
    except (aiosmtplib.SMTPException, OSError) as exc:
        return Outcome(Status.pending, error=f"{type(exc).__name__}: {exc}")
    return SENT
