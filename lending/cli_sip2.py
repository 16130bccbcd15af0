"""`lending sip2 serve` (the SIP2 server for self-check kiosks and laptop lockers) and
`lending sip2 account add|list|remove` (each kiosk's own login)."""

from __future__ import annotations

import argparse
import asyncio
import signal
from typing import Any

from .settings import Settings

__all__ = ["add_sip2_commands"]


def cmd_sip2_serve(settings: Settings, args: argparse.Namespace) -> int:
    from .cli import _with_database
    from .database import close_database, make_engine, open_database
    from .sip2.server import Sip2Server

    async def serve() -> None:
        engine = make_engine(settings.database_url)
        await open_database(engine)  # the server's own pool (the CLI's is small)
        server = Sip2Server(settings)
        try:
            await server.start(args.host, args.port)
            tls = " (TLS)" if settings.sip2_tls_cert else ""
            print(f"SIP2 server listening on {args.host or settings.sip2_host}:{server.port}{tls}",
                  flush=True)  # fmt: skip
            stop = asyncio.Event()
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(sig, stop.set)
            await stop.wait()
        finally:
            await server.close()
            await close_database(engine)

    # Checks that the database answers and is migrated (a plain sentence when it is not).
    asyncio.run(_with_database(settings, lambda: asyncio.sleep(0)))
    asyncio.run(serve())
    return 0


def _run(settings: Settings, work: Any) -> Any:
    from .cli import _with_database

    return asyncio.run(_with_database(settings, work))


def cmd_account_add(settings: Settings, args: argparse.Namespace) -> int:
    from .cli import CLI_ACTOR_NAME, _now
    from .services.access.sip_accounts import add_sip_account
    from .services.actors import Actor

    async def work():
        return await add_sip_account(
            Actor(CLI_ACTOR_NAME, "system"),
            _now(),
            name=args.name,
            password=args.password,
            service_point=args.service_point,
            encoding=args.encoding,
        )

    account = _run(settings, work)
    print(f"SIP account {account.name!r} added: lends at {account.service_point}, "
          f"encoding {account.encoding}.")  # fmt: skip
    return 0


def cmd_account_list(settings: Settings, args: argparse.Namespace) -> int:
    from .services.access.sip_accounts import list_sip_accounts

    accounts = _run(settings, list_sip_accounts)
    if not accounts:
        print("No SIP accounts. Add one: lending sip2 account add NAME --password ... "
              "--service-point CODE")  # fmt: skip
    for a in accounts:
        state = "active" if a.active else "inactive"
        print(f"{a.name:<24} {a.service_point:<12} {a.encoding:<6} {state}")
    return 0


def cmd_account_remove(settings: Settings, args: argparse.Namespace) -> int:
    from .cli import CLI_ACTOR_NAME, _now
    from .services.access.sip_accounts import remove_sip_account
    from .services.actors import Actor

    async def work():
        await remove_sip_account(Actor(CLI_ACTOR_NAME, "system"), _now(), args.name)

    _run(settings, work)
    print(f"SIP account {args.name!r} removed.")
    return 0


def add_sip2_commands(sub: Any) -> None:
    sip2 = sub.add_parser("sip2", help="the SIP2 server for self-check kiosks and lockers")
    sip2_sub = sip2.add_subparsers(dest="sip2_command", required=True)
    serve = sip2_sub.add_parser("serve", help="serve SIP2 (TCP; TLS with LENDING_SIP2_TLS_*)")
    serve.add_argument("--host", default=None, help="default LENDING_SIP2_HOST or 127.0.0.1")
    serve.add_argument("--port", type=int, default=None, help="default LENDING_SIP2_PORT or 6001")
    serve.set_defaults(run=cmd_sip2_serve)
    account = sip2_sub.add_parser("account", help="kiosk accounts")
    account_sub = account.add_subparsers(dest="account_command", required=True)
    add = account_sub.add_parser("add", help="add a kiosk's account")
    add.add_argument("name")
    add.add_argument("--password", required=True)
    add.add_argument("--service-point", required=True, help="where the kiosk lends (its code)")
    add.add_argument("--encoding", default="cp850", choices=("cp850", "utf-8"))
    add.set_defaults(run=cmd_account_add)
    account_sub.add_parser("list", help="the kiosk accounts").set_defaults(run=cmd_account_list)
    remove = account_sub.add_parser("remove", help="remove a kiosk's account")
    remove.add_argument("name")
    remove.set_defaults(run=cmd_account_remove)
