"""Who may do what: the ONE permission table that the API guards, the page guards, the services
and the page navigation all read. Standard library only.

Each action names one thing a person does; each row lists the roles allowed to do it. A new role
is one more `Role` member and one more name in the rows it gets: the guards, the navigation and
the Markdown table follow.

`partner` is partner staff (a housing authority's, a community organisation's), tied to one
partner organisation: the table lets them check out, check in, enrol, record training and see
participants; the services then narrow each of those to that partner's programs and service
points (services/programs/scope.py).

`system` is the server acting on its own (the `lending` command, scheduled jobs): it may do
everything and is no column of the table.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from .errors import Forbidden

__all__ = [
    "PERMISSIONS",
    "SYSTEM_ROLE",
    "Action",
    "Permission",
    "Role",
    "allows",
    "allows_any",
    "markdown_table",
    "patron_change_actions",
    "refusal",
    "require",
    "roles_for",
]

SYSTEM_ROLE = "system"


class Role(StrEnum):
    ADMIN = "admin"  # the supervisor: everything
    DESK = "desk"  # circulation desk staff
    RESIDENT = "resident"  # a patron logged in with card number and PIN
    PARTNER = "partner"  # partner staff: their partner's programs only
    KIOSK = "kiosk"  # a self-check kiosk or laptop locker, over SIP2 with its own account


class Action(StrEnum):
    CHECKOUT = "checkout"
    CHECKIN = "checkin"
    RENEW = "renew"
    LOAN_READ = "loan.read"
    RECEIPT_PRINT = "receipt.print"
    HOLD_MANAGE = "hold.manage"
    PATRON_READ = "patron.read"
    PATRON_CREATE = "patron.create"
    PATRON_EDIT = "patron.edit"
    PATRON_SET_PIN = "patron.set_pin"
    PATRON_BLOCK = "patron.block"
    PATRON_UNBLOCK = "patron.unblock"
    NOTICE_CALL = "notice.call"
    DEVICE_READ = "device.read"
    DEVICE_EDIT = "device.edit"
    DEVICE_STATUS = "device.status"
    REPAIR_OPEN = "repair.open"
    REPAIR_RESOLVE = "repair.resolve"
    PROCESSING_WORK = "processing.work"
    POLICY_READ = "policy.read"
    POLICY_EDIT = "policy.edit"
    BRANCH_EDIT = "branch.edit"
    SERVICE_POINT_EDIT = "service_point.edit"
    TRANSFER = "transfer"
    LABEL_PRINT = "label.print"
    AUDIT_RUN = "audit.run"
    IMPORT = "import"
    EXPORT = "export"
    REPORT_READ = "report.read"
    EVENT_READ = "event.read"
    JOB_RUN = "job.run"
    LINE_MANAGE = "line.manage"
    STAFF_MANAGE = "staff.manage"
    SELF_SERVICE = "self_service"
    SESSION_END = "session.end"
    NOTICE_MANAGE = "notice.manage"
    PROGRAM_READ = "program.read"
    PROGRAM_EDIT = "program.edit"
    ENROL = "enrol"
    TRAINING_RECORD = "training.record"
    PARTICIPANT_READ = "participant.read"
    PROGRAM_REPORT = "program.report"
    OFFLINE_UPLOAD = "offline.upload"
    OFFLINE_RESOLVE = "offline.resolve"
    RESERVATION_READ = "reservation.read"
    RESERVATION_MAKE = "reservation.make"
    RESERVATION_MANAGE = "reservation.manage"
    SELF_CHECK = "self_check"
    KIOSK_MANAGE = "kiosk.manage"
    HEALTH_READ = "health.read"


@dataclass(frozen=True)
class Permission:
    description: str  # a verb phrase: "check a device out to a patron"
    roles: frozenset[Role]


ADMIN, DESK, RESIDENT, PARTNER = Role.ADMIN, Role.DESK, Role.RESIDENT, Role.PARTNER
KIOSK = Role.KIOSK
STAFF = (ADMIN, DESK)


def _row(description: str, *roles: Role) -> Permission:
    return Permission(description, frozenset(roles))


# fmt: off
PERMISSIONS: Mapping[Action, Permission] = {
    Action.CHECKOUT: _row("check a device out to a patron (partner staff: under their "
                          "partner's programs; a kiosk: at its service point)",
                          *STAFF, PARTNER, KIOSK),
    Action.CHECKIN: _row("check a device in and record its kit parts (also at a shelf audit; "
                         "partner staff: devices lent under their partner's programs)",
                         *STAFF, PARTNER, KIOSK),
    Action.RENEW: _row("renew a patron's loan", *STAFF, KIOSK),
    Action.LOAN_READ: _row("list loans and see a loan's kit checklist", *STAFF),
    Action.RECEIPT_PRINT: _row("print a checkout receipt", *STAFF),
    Action.HOLD_MANAGE: _row("place and cancel holds for a patron and see the waitlists",
                             *STAFF),
    Action.PATRON_READ: _row("search patrons and see their loans, holds and charges", *STAFF),
    Action.PATRON_CREATE: _row("register a patron (with a first PIN)", *STAFF),
    Action.PATRON_EDIT: _row("change a patron's contact details, language, household, branch "
                             "and expiry", *STAFF),
    Action.PATRON_SET_PIN: _row("set or reset an existing patron's PIN", ADMIN),
    Action.PATRON_BLOCK: _row("block a patron, with a reason", *STAFF),
    Action.PATRON_UNBLOCK: _row("lift a patron's block", ADMIN),
    Action.NOTICE_CALL: _row("work the call list of patrons with neither email nor phone",
                             *STAFF),
    Action.DEVICE_READ: _row("see devices, their kits, repairs, processing and labels, and "
                             "the not-seen inventory", *STAFF),
    Action.DEVICE_EDIT: _row("add and edit devices and their kit parts", ADMIN),
    Action.DEVICE_STATUS: _row("retire a device, mark it lost, or set its status by hand",
                               ADMIN),
    Action.TRANSFER: _row("send a device to another service point, receive one sent here, and "
                          "see what is in transit", *STAFF),
    Action.REPAIR_OPEN: _row("send a damaged device to repair", *STAFF),
    Action.REPAIR_RESOLVE: _row("resolve a repair", ADMIN),
    Action.PROCESSING_WORK: _row("tick off a device's return-to-service steps", *STAFF),
    Action.POLICY_READ: _row("see branches, closed dates, service points and their schedules, "
                             "loan policies and return-to-service steps", *STAFF),
    Action.POLICY_EDIT: _row("edit loan policies, return-to-service steps and reservation "
                             "rules", ADMIN),
    Action.BRANCH_EDIT: _row("add branches, and add or remove closed dates", ADMIN),
    Action.SERVICE_POINT_EDIT: _row("add and change service points (bookmobiles, mobile labs, "
                                    "partner sites, lockers), their hours and stops, and cancel "
                                    "a stop", ADMIN),
    Action.LABEL_PRINT: _row("print sheets and rolls of labels (clears the reprint queue)",
                             ADMIN),
    Action.AUDIT_RUN: _row("start, scan, close and cancel shelf audits", ADMIN),
    Action.IMPORT: _row("import devices, lines and patrons from CSV", ADMIN),
    Action.EXPORT: _row("export CSV files", ADMIN),
    Action.REPORT_READ: _row("see the dashboard and the reports", ADMIN),
    Action.EVENT_READ: _row("read the audit trail", ADMIN),
    Action.JOB_RUN: _row("see and run the scheduled jobs", ADMIN),
    Action.LINE_MANAGE: _row("manage service lines, plans and carrier tasks", ADMIN),
    Action.STAFF_MANAGE: _row("add, deactivate and reset staff accounts", ADMIN),
    Action.SELF_SERVICE: _row("see and renew one's own loans and join or leave waitlists "
                              "(/api/me, /my)", RESIDENT),
    Action.NOTICE_MANAGE: _row("see the notice queue and send a notice again", ADMIN),
    Action.PROGRAM_READ: _row("see programs, their terms, stock and training sessions (partner "
                              "staff: their partner's)", *STAFF, PARTNER),
    Action.PROGRAM_EDIT: _row("add and change partner organisations and programs: terms, "
                              "requirements, service points and stock", ADMIN),
    Action.ENROL: _row("enrol a patron in a program, record the funder's statement and capture "
                       "a signed borrower agreement (partner staff: their partner's programs)",
                       *STAFF, PARTNER),
    Action.TRAINING_RECORD: _row("add training sessions, sign patrons up and record attendance "
                                 "(partner staff: their partner's programs)", *STAFF, PARTNER),
    Action.PARTICIPANT_READ: _row("see a program's participants, their training hours and "
                                  "agreements (partner staff: their partner's programs)",
                                  *STAFF, PARTNER),
    Action.PROGRAM_REPORT: _row("see program reports and the funder's inventory export "
                                "(partner staff: their partner's programs, small counts "
                                "suppressed)", ADMIN, PARTNER),
    Action.OFFLINE_UPLOAD: _row("upload a desk's offline work (queued checkouts, checkins and "
                                "renewals) to be replayed, and see how each came out",
                                *STAFF, PARTNER),
    Action.OFFLINE_RESOLVE: _row("resolve offline exceptions: apply one now under their own "
                                 "name, or discard it with a reason; import an exported queue",
                                 *STAFF),
    Action.RESERVATION_READ: _row("see reservations, the pull list, a kind's availability and "
                                  "the calendar (partner staff: their partner's)",
                                  *STAFF, PARTNER),
    Action.RESERVATION_MAKE: _row("book devices for an event and cancel a booking (partner "
                                  "staff: requests at their partner's service points, for "
                                  "staff to confirm)", *STAFF, PARTNER),
    Action.RESERVATION_MANAGE: _row("confirm a requested reservation, set its devices aside "
                                    "and hand them out to the event", *STAFF),
    Action.SELF_CHECK: _row("at a self-check kiosk (SIP2): check a patron's card and PIN, show "
                            "them their own loans and holds, and look up a device", ADMIN, KIOSK),
    Action.KIOSK_MANAGE: _row("add and remove the SIP2 accounts of self-check kiosks and laptop "
                              "lockers", ADMIN),
    Action.HEALTH_READ: _row("see this instance's health in detail: database and migrations, "
                             "job leadership and each job's last success, mail, SMS and "
                             "carrier delivery, the version", ADMIN),
    Action.SESSION_END: _row("log out: end the session or token presented", *STAFF, RESIDENT,
                             PARTNER),
}
# fmt: on

_WHO = {
    frozenset({ADMIN}): "administrators",
    frozenset(STAFF): "library staff",
    frozenset({RESIDENT}): "residents logged in with card number and PIN",
    frozenset({*STAFF, RESIDENT, PARTNER}): "anyone logged in",
    frozenset({*STAFF, PARTNER}): "library and partner staff",
    frozenset({ADMIN, PARTNER}): "administrators and partner staff",
    # Kiosks (SIP2) never call the API or open a page: a refusal there names the people.
    frozenset({*STAFF, PARTNER, KIOSK}): "library and partner staff",
    frozenset({*STAFF, KIOSK}): "library staff",
    frozenset({ADMIN, KIOSK}): "administrators",
}


def roles_for(action: Action) -> frozenset[Role]:
    return PERMISSIONS[action].roles


def allows(role: str, action: Action) -> bool:
    """May someone with this role do this? Unknown roles may do nothing."""
    if role == SYSTEM_ROLE:
        return True
    return role in PERMISSIONS[action].roles


def allows_any(role: str, actions: Iterable[Action]) -> bool:
    return any(allows(role, action) for action in actions)


def who_may(roles: Iterable[Role]) -> str:
    chosen = frozenset(roles)
    if chosen in _WHO:
        return _WHO[chosen]
    return " and ".join(sorted(chosen)) + " accounts" if chosen else "nobody"


def refusal(action: Action) -> str:
    """The detail of a 403: what was refused and who may do it."""
    permission = PERMISSIONS[action]
    return (
        f"Only {who_may(permission.roles)} may {permission.description} "
        f"(permission {action.value})."
    )


def require(role: str, action: Action) -> None:
    """Raise Forbidden (403 `forbidden`) unless the role may do the action."""
    if not allows(role, action):
        raise Forbidden(refusal(action))


BLOCK_FIELDS = ("blocked", "block_reason")


def patron_change_actions(changes: Mapping[str, Any], *, blocked_now: bool) -> list[Action]:
    """What a change to an existing patron does, as actions: contact fields are `patron.edit`,
    a PIN is `patron.set_pin`, blocking (or changing the reason) `patron.block`, lifting a
    block `patron.unblock`. `blocked: false` on a patron who is not blocked changes nothing."""
    actions: list[Action] = []
    if any(name not in (*BLOCK_FIELDS, "pin") for name in changes):
        actions.append(Action.PATRON_EDIT)
    if changes.get("pin") is not None:
        actions.append(Action.PATRON_SET_PIN)
    blocked = changes.get("blocked")
    if blocked is False and blocked_now:
        actions.append(Action.PATRON_UNBLOCK)
    elif blocked is True or (blocked is None and changes.get("block_reason")):
        actions.append(Action.PATRON_BLOCK)
    return actions


def markdown_table() -> str:
    """The table as Markdown (one row per action, one column per role) for the README."""
    roles = list(Role)
    lines = [
        "| Action | What it allows | " + " | ".join(r.value for r in roles) + " |",
        "|---|---|" + "---|" * len(roles),
    ]
    for action, permission in PERMISSIONS.items():
        marks = " | ".join("yes" if r in permission.roles else "" for r in roles)
        description = permission.description[0].upper() + permission.description[1:]
        lines.append(f"| `{action.value}` | {description} | {marks} |")
    return "\n".join(lines) + "\n"
