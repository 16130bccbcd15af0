"""`lending offline import FILE`: replay a desk's exported offline queue (an outage of days,
a bookmobile that never came back online) exactly as the desk's own upload would."""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path
from typing import Any

import msgspec

from .circulation import FieldError, Invalid
from .settings import Settings

__all__ = ["add_offline_commands"]

MAX_FILE_BYTES = 4 * 1024 * 1024  # as the upload endpoint


def _read(path: str) -> Any:
    from .schemas.offline import OfflineSessionIn

    file = Path(path)
    if not file.is_file():
        raise Invalid(FieldError("file", f"{path!r} is not a file"))
    if file.stat().st_size > MAX_FILE_BYTES:
        raise Invalid(
            FieldError(
                "file", f"larger than {MAX_FILE_BYTES // (1024 * 1024)} MB: not a desk's queue"
            )
        )
    raw = file.read_bytes()
    try:
        return msgspec.json.decode(raw, type=OfflineSessionIn)
    except msgspec.ValidationError as exc:
        raise Invalid(FieldError("file", f"not an offline session: {exc}")) from None
    except msgspec.DecodeError:
        raise Invalid(
            FieldError("file", "not JSON: export the queue again from the desk")
        ) from None


def cmd_offline_import(settings: Settings, args: argparse.Namespace) -> int:
    from .cli import CLI_ACTOR_NAME, _now, _with_database
    from .services.actors import Actor
    from .services.offline.replay import replay_session

    session = _read(args.file)
    actor = Actor(CLI_ACTOR_NAME, "system")

    async def work():
        return await replay_session(actor, _now(), session, settings.timezone, source="file")

    result = asyncio.run(_with_database(settings, work))
    if result.already_uploaded:
        print(f"Offline session {result.id!r} was already replayed on "
              f"{result.uploaded_at:%Y-%m-%d %H:%M} by {result.uploaded_by}: nothing changed.")  # fmt: skip
    else:
        print(f"Replayed offline session {result.id!r}: {result.transactions} transactions, "
              f"{result.applied} applied, {result.exceptions} on the exceptions list.")  # fmt: skip
    for r in result.results:
        if r.status in ("exception", "duplicate"):
            print(f"  {r.status}: {r.type} {r.device} at {r.at:%Y-%m-%d %H:%M} by {r.clerk}"
                  f" ({r.code or 'replayed before'}): {r.detail}")  # fmt: skip
    return 0


def add_offline_commands(sub: Any) -> None:
    offline = sub.add_parser("offline", help="offline circulation")
    offline_sub = offline.add_subparsers(dest="offline_command", required=True)
    imp = offline_sub.add_parser(
        "import",
        help="replay a desk's exported offline queue (JSON)",
        description="Replays each queued checkout, checkin and renewal in the order it "
        "happened, as of its time and as its clerk. Each is applied or put on the exceptions "
        "list for staff (GET /api/offline/exceptions). A file replayed before changes nothing.",
    )
    imp.add_argument("file", help="the file the desk exported")
    imp.set_defaults(run=cmd_offline_import)
