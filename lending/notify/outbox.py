"""The local outbox: a folder (LENDING_OUTBOX_DIR) where notices are written as text files when
real email or SMS is not set up, so a trial install (`make run`) shows notices end to end. A
message written here reaches no patron; the warning on the dashboard keeps saying so."""

from __future__ import annotations

import os
import re
from datetime import datetime
from pathlib import Path

from .channels import DeliveryError

__all__ = ["Outbox"]

_UNSAFE = re.compile(r"[^A-Za-z0-9_-]+")


class Outbox:
    """Writes one file per message: <time>-notice-<first id>-<channel>.txt, headers then body."""

    def __init__(self, folder: str) -> None:
        self.folder = folder

    @property
    def on(self) -> bool:
        return bool(self.folder)

    def write(
        self,
        notice_ids: list[int],
        channel: str,
        to: str,
        subject: str,
        body: str,
        now: datetime,
        why: str,
    ) -> Path:
        """Write the message; returns its path. DeliveryError when the folder cannot be written."""
        first = notice_ids[0] if notice_ids else 0
        name = f"{now:%Y%m%dT%H%M%S}-notice-{first}-{_UNSAFE.sub('', channel) or 'message'}.txt"
        folder = Path(self.folder)
        path = folder / name
        text = (
            f"To: {to}\n"
            f"Channel: {channel} (not sent: {why})\n"
            f"Notices: {', '.join(str(i) for i in notice_ids)}\n"
            f"Date: {now.isoformat()}\n"
            f"Subject: {' '.join(subject.split())}\n"
            "\n"
            f"{body}\n"
        )
        try:
            folder.mkdir(parents=True, exist_ok=True)
            temp = path.with_suffix(".tmp")
            temp.write_text(text, encoding="utf-8")
            os.replace(temp, path)
        except OSError as exc:
            raise DeliveryError(
                f"Could not write to the local outbox {self.folder}: {exc}"
            ) from exc
        return path
