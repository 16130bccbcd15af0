"""`lending check [--fix]`: the invariants the database cannot fully enforce; each violation
with the rows involved, exit status 1 when any is left. The run is recorded like the nightly
`check` job's (the dashboard shows the last one)."""

from __future__ import annotations

import argparse
import asyncio
import json
from typing import Any

from .settings import Settings

__all__ = ["add_check_commands"]


def cmd_check(settings: Settings, args: argparse.Namespace) -> int:
    from .cli import _now, _with_database
    from .jobs.registry import run_job

    async def work():
        return await run_job("check_fix" if args.fix else "check", _now(), settings, "cli")

    reply = asyncio.run(_with_database(settings, work))
    summary: dict[str, Any] = reply.summary
    violations = summary.get("violations", [])
    if not violations:
        print(f"All {summary.get('checked', 0)} checks passed: nothing inconsistent.")
        return 0
    left = 0
    for v in violations:
        fixed = f", {v['repaired']} repaired ({v['repair']})" if v["repaired"] else ""
        print(f"{v['check']}: {v['count']} x {v['what']}{fixed}")
        if v["count"] > v["repaired"]:
            left += v["count"] - v["repaired"]
            hint = f" (--fix would {v['repair']})" if v["repair"] and not args.fix else ""
            print(f"  for a person to look at{hint}:")
            for row in v["rows"]:
                print("    " + json.dumps(row, default=str, sort_keys=True))
    if left:
        print(f"{left} inconsistencies left.")
        return 1
    print("Everything found was repaired.")
    return 0


def add_check_commands(sub: Any) -> None:
    check = sub.add_parser("check", help="check the data's consistency (exit 1 when not)")
    check.add_argument("--fix", action="store_true", help="repair what has one safe repair")
    check.set_defaults(run=cmd_check)
