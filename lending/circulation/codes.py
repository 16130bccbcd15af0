"""The one registry of error codes: every `code` a problem+json body, a CLI error or a refusal
can carry, with its HTTP status and what it means. Raise sites name a `Code`; the problem
mapping, the OpenAPI document and the README's table read `ERRORS`. Standard library only."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

__all__ = ["ERRORS", "Code", "ErrorInfo", "markdown_table"]


class Code(StrEnum):
    # Generic (one per status; the framework's own errors map to these)
    BAD_REQUEST = "bad_request"
    MALFORMED_JSON = "malformed_json"
    VALIDATION_ERROR = "validation_error"
    UNAUTHENTICATED = "unauthenticated"
    INVALID_CREDENTIALS = "invalid_credentials"
    FORBIDDEN = "forbidden"
    NOT_FOUND = "not_found"
    METHOD_NOT_ALLOWED = "method_not_allowed"
    CONFLICT = "conflict"
    REQUEST_TOO_LARGE = "request_too_large"
    UNSUPPORTED_MEDIA_TYPE = "unsupported_media_type"
    TOO_MANY_ATTEMPTS = "too_many_attempts"
    INTERNAL_ERROR = "internal_error"
    SERVICE_UNAVAILABLE = "service_unavailable"
    DATABASE_UNAVAILABLE = "database_unavailable"
    PATRON_SOURCE_UNAVAILABLE = "patron_source_unavailable"
    DATABASE_NOT_MIGRATED = "database_not_migrated"
    DATABASE_NOT_EMPTY = "database_not_empty"
    BACKUP_NOT_USABLE = "backup_not_usable"
    BACKUP_TOO_NEW = "backup_too_new"
    BACKUP_WRONG_DATABASE = "backup_wrong_database"
    BACKUP_TOOLS_MISSING = "backup_tools_missing"
    BACKUP_FAILED = "backup_failed"
    # Not found
    AUDIT_NOT_FOUND = "audit_not_found"
    BRANCH_NOT_FOUND = "branch_not_found"
    CARRIER_ACTION_NOT_FOUND = "carrier_action_not_found"
    CLOSURE_NOT_FOUND = "closure_not_found"
    DEVICE_NOT_FOUND = "device_not_found"
    EXPORT_NOT_FOUND = "export_not_found"
    HOLD_NOT_FOUND = "hold_not_found"
    JOB_NOT_FOUND = "job_not_found"
    KIND_NOT_FOUND = "kind_not_found"
    LINE_NOT_FOUND = "line_not_found"
    LOAN_NOT_FOUND = "loan_not_found"
    MAINTENANCE_NOT_FOUND = "maintenance_not_found"
    NOTICE_NOT_FOUND = "notice_not_found"
    OFFLINE_SESSION_NOT_FOUND = "offline_session_not_found"
    OFFLINE_EXCEPTION_NOT_FOUND = "offline_exception_not_found"
    RESERVATION_NOT_FOUND = "reservation_not_found"
    PART_NOT_FOUND = "part_not_found"
    PARTNER_NOT_FOUND = "partner_not_found"
    PATRON_NOT_FOUND = "patron_not_found"
    PLAN_NOT_FOUND = "plan_not_found"
    PROGRAM_NOT_FOUND = "program_not_found"
    RECEIPT_NOT_FOUND = "receipt_not_found"
    SESSION_NOT_FOUND = "session_not_found"
    REPORT_NOT_FOUND = "report_not_found"
    SERVICE_POINT_NOT_FOUND = "service_point_not_found"
    STAFF_NOT_FOUND = "staff_not_found"
    STOP_NOT_FOUND = "stop_not_found"
    TASK_NOT_FOUND = "task_not_found"
    TRANSFER_NOT_FOUND = "transfer_not_found"
    # Circulation refusals
    DEVICE_UNAVAILABLE = "device_unavailable"
    NOT_ON_LOAN = "not_on_loan"
    PATRON_BLOCKED = "patron_blocked"
    PATRON_EXPIRED = "patron_expired"
    PATRON_HAS_OVERDUE = "patron_has_overdue"
    LOAN_LIMIT_REACHED = "loan_limit_reached"
    LOAN_NOT_ACTIVE = "loan_not_active"
    OVERDUE_RENEWAL_REFUSED = "overdue_renewal_refused"
    RENEWAL_LIMIT_REACHED = "renewal_limit_reached"
    RENEWAL_BLOCKED_BY_HOLDS = "renewal_blocked_by_holds"
    DUPLICATE_HOLD = "duplicate_hold"
    HOLD_NOT_OPEN = "hold_not_open"
    # Programs: what a program requires before it lends
    NOT_ENROLLED = "not_enrolled"
    ENROLMENT_EXPIRED = "enrolment_expired"
    PROGRAM_NOT_STARTED = "program_not_started"
    PROGRAM_ENDED = "program_ended"
    TRAINING_REQUIRED = "training_required"
    AGREEMENT_REQUIRED = "agreement_required"
    AGREEMENT_EXPIRED = "agreement_expired"
    ATTESTATION_REQUIRED = "attestation_required"
    KIND_NOT_IN_PROGRAM = "kind_not_in_program"
    PROGRAM_NOT_HERE = "program_not_here"
    PROGRAM_STOCK_EXHAUSTED = "program_stock_exhausted"
    DEVICE_IN_OTHER_PROGRAM = "device_in_other_program"
    PROGRAM_CHOICE_NEEDED = "program_choice_needed"
    DUPLICATE_PROGRAM = "duplicate_program"
    DUPLICATE_PARTNER = "duplicate_partner"
    SESSION_FULL = "session_full"
    # Offline circulation
    OFFLINE_OUT_OF_ORDER = "offline_out_of_order"
    OFFLINE_EXCEPTION_RESOLVED = "offline_exception_resolved"
    # Reservations
    RESERVATION_LEAD_TIME = "reservation_lead_time"
    RESERVATION_TOO_LONG = "reservation_too_long"
    RESERVATION_UNAVAILABLE = "reservation_unavailable"
    RESERVATION_NOT_OPEN = "reservation_not_open"
    RESERVATION_COMPLETE = "reservation_complete"
    RESERVATION_NOT_STARTED = "reservation_not_started"
    DEVICE_RESERVED = "device_reserved"
    DEVICE_NOT_FOR_RESERVATION = "device_not_for_reservation"
    # Inventory
    DUPLICATE_BARCODE = "duplicate_barcode"
    DEVICE_ON_LOAN = "device_on_loan"
    DEVICE_NOT_REPAIRABLE = "device_not_repairable"
    REPAIR_ALREADY_RESOLVED = "repair_already_resolved"
    NOT_IN_PROCESSING = "not_in_processing"
    DUPLICATE_PART = "duplicate_part"
    LOAN_NOT_RETURNED = "loan_not_returned"
    LOAN_SUPERSEDED = "loan_superseded"
    AUDIT_ALREADY_OPEN = "audit_already_open"
    AUDIT_CLOSED = "audit_closed"
    LABELS_REFUSED = "labels_refused"
    BAD_LABEL_TEMPLATE = "bad_label_template"
    UNKNOWN_TEMPLATE = "unknown_template"
    UNKNOWN_SYMBOLOGY = "unknown_symbology"
    FORMAT_NOT_SUPPORTED = "format_not_supported"
    NO_DEVICES_SELECTED = "no_devices_selected"
    TOO_MANY_LABELS = "too_many_labels"
    LABEL_TOO_SMALL = "label_too_small"
    CODE_TOO_LONG_FOR_LABEL = "code_too_long_for_label"
    START_POSITION_OFF_SHEET = "start_position_off_sheet"
    BAD_CHECK_DIGIT = "bad_check_digit"
    BARCODE_NOT_ENCODABLE = "barcode_not_encodable"
    # Lines, plans and the carrier
    DEVICE_HAS_LINE = "device_has_line"
    DUPLICATE_ICCID = "duplicate_iccid"
    DUPLICATE_LINE = "duplicate_line"
    DUPLICATE_PHONE_NUMBER = "duplicate_phone_number"
    LINE_ALREADY_THERE = "line_already_there"
    LINE_RETIRED = "line_retired"
    ACTION_ALREADY_OPEN = "action_already_open"
    ACTION_NOT_RETRYABLE = "action_not_retryable"
    TASK_NOT_OPEN = "task_not_open"
    # People, branches, notices, imports
    DUPLICATE_BRANCH = "duplicate_branch"
    DUPLICATE_CLOSURE = "duplicate_closure"
    DUPLICATE_SERVICE_POINT = "duplicate_service_point"
    STOP_ALREADY_CANCELLED = "stop_already_cancelled"
    DEVICE_NOT_TRANSFERABLE = "device_not_transferable"
    NOT_IN_TRANSIT = "not_in_transit"
    TRANSFER_ELSEWHERE = "transfer_elsewhere"
    DUPLICATE_CARD_NUMBER = "duplicate_card_number"
    DUPLICATE_USERNAME = "duplicate_username"
    CANNOT_DEACTIVATE_SELF = "cannot_deactivate_self"
    NOTICE_CHANGED = "notice_changed"
    NOTICE_NOT_ON_CALL_LIST = "notice_not_on_call_list"
    NOTICE_NOT_RESENDABLE = "notice_not_resendable"
    IMPORT_REJECTED = "import_rejected"
    IMPORT_CONFLICT = "import_conflict"


@dataclass(frozen=True)
class ErrorInfo:
    status: int
    meaning: str


_NOT_FOUND = {
    Code.AUDIT_NOT_FOUND: "No shelf audit with that id.",
    Code.BRANCH_NOT_FOUND: "No branch with that code.",
    Code.CARRIER_ACTION_NOT_FOUND: "No carrier action with that id.",
    Code.CLOSURE_NOT_FOUND: "The branch is not closed on that date.",
    Code.DEVICE_NOT_FOUND: "No device with that barcode.",
    Code.EXPORT_NOT_FOUND: "No export of that name.",
    Code.HOLD_NOT_FOUND: "No hold with that id (or not the resident's own).",
    Code.JOB_NOT_FOUND: "No scheduled job of that name.",
    Code.KIND_NOT_FOUND: "No device kind of that name.",
    Code.LINE_NOT_FOUND: "No service line with that ICCID.",
    Code.LOAN_NOT_FOUND: "No loan with that id (or not the resident's own).",
    Code.MAINTENANCE_NOT_FOUND: "No repair record with that id.",
    Code.OFFLINE_SESSION_NOT_FOUND: "No offline session with that id.",
    Code.OFFLINE_EXCEPTION_NOT_FOUND: "No offline transaction with that id on the exceptions list.",
    Code.RESERVATION_NOT_FOUND: "No reservation with that id (or not one of the partner's).",
    Code.NOTICE_NOT_FOUND: "No notice with that id.",
    Code.PART_NOT_FOUND: "The device's kit has no part with that id.",
    Code.PARTNER_NOT_FOUND: "No partner organisation with that code.",
    Code.PATRON_NOT_FOUND: "No patron with that card number.",
    Code.PLAN_NOT_FOUND: "No data plan with that id.",
    Code.PROGRAM_NOT_FOUND: "No program with that code (or not one of the partner's).",
    Code.RECEIPT_NOT_FOUND: "No receipt for that loan.",
    Code.SESSION_NOT_FOUND: "The program has no training session with that id.",
    Code.REPORT_NOT_FOUND: "No report of that name.",
    Code.SERVICE_POINT_NOT_FOUND: "No service point with that code.",
    Code.STAFF_NOT_FOUND: "No staff user with that username.",
    Code.STOP_NOT_FOUND: "The service point has no stop with that id.",
    Code.TASK_NOT_FOUND: "No carrier task with that id.",
    Code.TRANSFER_NOT_FOUND: "No transfer with that id.",
}

_REFUSED = {
    Code.CONFLICT: "Refused (generic).",
    Code.DEVICE_UNAVAILABLE: "The device is not on the shelf to lend (on loan, on the hold "
    "shelf for someone else, in repair...); `facts.status` says where it is.",
    Code.NOT_ON_LOAN: "Checkin of a device that was not on loan.",
    Code.PATRON_BLOCKED: "The patron's account is blocked; `facts.block_reason` says why.",
    Code.PATRON_EXPIRED: "The patron's card has expired.",
    Code.PATRON_HAS_OVERDUE: "Overdue loans (the patron's or household's, as the policy says) "
    "keep them from borrowing; `facts` lists them.",
    Code.LOAN_LIMIT_REACHED: "The patron or household already has the most loans of the kind.",
    Code.LOAN_NOT_ACTIVE: "The loan is returned or lost.",
    Code.OVERDUE_RENEWAL_REFUSED: "The policy does not let this role renew an overdue loan.",
    Code.RENEWAL_LIMIT_REACHED: "The loan has been renewed the most times allowed.",
    Code.RENEWAL_BLOCKED_BY_HOLDS: "Others wait for the kind and none is available.",
    Code.DUPLICATE_HOLD: "The patron already waits for the kind.",
    Code.HOLD_NOT_OPEN: "The hold is already fulfilled, cancelled or expired.",
    Code.NOT_ENROLLED: "The program lends only to patrons enrolled in it.",
    Code.ENROLMENT_EXPIRED: "The patron's enrolment in the program has expired; verify "
    "eligibility again.",
    Code.PROGRAM_NOT_STARTED: "The program has not started yet.",
    Code.PROGRAM_ENDED: "The program has ended.",
    Code.TRAINING_REQUIRED: "The program requires training hours the patron has not done yet; "
    "`facts` has the hours done and required.",
    Code.AGREEMENT_REQUIRED: "The patron has not signed the program's current borrower agreement.",
    Code.AGREEMENT_EXPIRED: "The patron's borrower agreement has expired; sign it again.",
    Code.ATTESTATION_REQUIRED: "The funder requires the household's statement that it would "
    "otherwise lack internet access.",
    Code.KIND_NOT_IN_PROGRAM: "The program does not lend that kind of device.",
    Code.PROGRAM_NOT_HERE: "The program does not lend at this service point.",
    Code.PROGRAM_STOCK_EXHAUSTED: "The program's devices of the kind (its quota) are all out.",
    Code.DEVICE_IN_OTHER_PROGRAM: "The device belongs to another program's stock (or to none).",
    Code.PROGRAM_CHOICE_NEEDED: "The patron is in several programs that lend the kind: choose one.",
    Code.DUPLICATE_PROGRAM: "Another program has that code.",
    Code.DUPLICATE_PARTNER: "Another partner organisation has that code.",
    Code.SESSION_FULL: "The training session is full.",
    Code.OFFLINE_OUT_OF_ORDER: "An offline transaction would go before what the device's record "
    "already shows after it (lent or returned later): staff decide.",
    Code.OFFLINE_EXCEPTION_RESOLVED: "The offline exception was already applied or discarded.",
    Code.RESERVATION_LEAD_TIME: "The reservation starts sooner than the kind's lead time allows.",
    Code.RESERVATION_TOO_LONG: "The reservation is longer than the kind's maximum.",
    Code.RESERVATION_UNAVAILABLE: "Not enough devices of the kind are free for the whole window "
    "(`facts.free`), or a named device is booked or out then.",
    Code.RESERVATION_NOT_OPEN: "The reservation's status does not allow that (`facts.status`).",
    Code.RESERVATION_COMPLETE: "Every device the reservation booked is already lent to it.",
    Code.RESERVATION_NOT_STARTED: "Devices are handed out to a reservation only from its "
    "set-aside time until its end.",
    Code.DEVICE_RESERVED: "The device is set aside for, or needed by, a reservation "
    "(`facts.reservation`).",
    Code.DEVICE_NOT_FOR_RESERVATION: "The device is of another kind or branch, or not free to "
    "hand out to this reservation.",
    Code.DUPLICATE_BARCODE: "Another device has that barcode.",
    Code.DEVICE_ON_LOAN: "The device is on loan: check it in first.",
    Code.DEVICE_NOT_REPAIRABLE: "The device cannot go to repair from where it is.",
    Code.REPAIR_ALREADY_RESOLVED: "The repair is already resolved.",
    Code.NOT_IN_PROCESSING: "The device is not in return to service.",
    Code.DUPLICATE_PART: "The kit already has a part with that name, or the barcode is taken.",
    Code.LOAN_NOT_RETURNED: "The loan's kit can be settled only after the return.",
    Code.LOAN_SUPERSEDED: "A later loan of the device exists.",
    Code.AUDIT_ALREADY_OPEN: "An audit of that shelf is already open.",
    Code.AUDIT_CLOSED: "The audit is closed.",
    Code.DEVICE_HAS_LINE: "The device already has a line.",
    Code.DUPLICATE_ICCID: "Another line has that ICCID.",
    Code.DUPLICATE_LINE: "That ICCID, number or device is already used by another line.",
    Code.DUPLICATE_PHONE_NUMBER: "Another line has that number.",
    Code.LINE_ALREADY_THERE: "The line is already in that device.",
    Code.LINE_RETIRED: "The line is retired.",
    Code.ACTION_ALREADY_OPEN: "The line already has an open action of that kind.",
    Code.ACTION_NOT_RETRYABLE: "Only a failed carrier action can be retried.",
    Code.TASK_NOT_OPEN: "The carrier task is already done.",
    Code.DUPLICATE_BRANCH: "Another branch has that code.",
    Code.DUPLICATE_CLOSURE: "The branch is already closed that day.",
    Code.DUPLICATE_SERVICE_POINT: "Another service point has that code.",
    Code.STOP_ALREADY_CANCELLED: "That visit of the stop is already cancelled.",
    Code.DEVICE_NOT_TRANSFERABLE: "Only a device on the shelf can be sent to another service "
    "point; `facts.status` says where it is.",
    Code.NOT_IN_TRANSIT: "The device is not on its way to a service point.",
    Code.TRANSFER_ELSEWHERE: "The device is on its way to another service point; "
    "`facts.to` names it.",
    Code.DUPLICATE_CARD_NUMBER: "Another patron has that card number.",
    Code.DUPLICATE_USERNAME: "Another staff user has that username.",
    Code.CANNOT_DEACTIVATE_SELF: "An admin cannot disable their own account.",
    Code.NOTICE_CHANGED: "The notice changed meanwhile; reload.",
    Code.NOTICE_NOT_ON_CALL_LIST: "The notice is not waiting for a call.",
    Code.NOTICE_NOT_RESENDABLE: "Only a failed or local-outbox notice can be sent again.",
    Code.IMPORT_CONFLICT: "Another change added some rows during the import; nothing imported.",
}

ERRORS: dict[Code, ErrorInfo] = {
    Code.BAD_REQUEST: ErrorInfo(400, "The request cannot be read (generic)."),
    Code.MALFORMED_JSON: ErrorInfo(400, "The body is not valid JSON (or nests too deep)."),
    Code.VALIDATION_ERROR: ErrorInfo(422, "A field is missing or wrong; `errors` lists each."),
    Code.UNAUTHENTICATED: ErrorInfo(401, "No valid token or session: log in."),
    Code.INVALID_CREDENTIALS: ErrorInfo(401, "Wrong username/password or card/PIN."),
    Code.FORBIDDEN: ErrorInfo(403, "The role may not do this (the permission table)."),
    Code.NOT_FOUND: ErrorInfo(404, "No such resource (generic)."),
    Code.METHOD_NOT_ALLOWED: ErrorInfo(405, "The path does not take that method."),
    Code.REQUEST_TOO_LARGE: ErrorInfo(413, "The body is larger than the server accepts."),
    Code.UNSUPPORTED_MEDIA_TYPE: ErrorInfo(415, "The body is not of a type the path takes."),
    Code.TOO_MANY_ATTEMPTS: ErrorInfo(429, "Too many failed logins or requests: wait."),
    Code.INTERNAL_ERROR: ErrorInfo(500, "A fault in the server (logged)."),
    Code.SERVICE_UNAVAILABLE: ErrorInfo(503, "The server cannot answer now (generic)."),
    Code.DATABASE_UNAVAILABLE: ErrorInfo(503, "The database cannot be reached."),
    Code.PATRON_SOURCE_UNAVAILABLE: ErrorInfo(
        503,
        "The ILS that library cards are checked against (LENDING_PATRON_SOURCE) did not answer.",
    ),
    Code.DATABASE_NOT_MIGRATED: ErrorInfo(503, "The database needs `lending migrate`."),
    Code.DATABASE_NOT_EMPTY: ErrorInfo(
        400, "The demo, and a restore without --force, go only into an empty database."
    ),
    Code.BACKUP_NOT_USABLE: ErrorInfo(
        422, "The file is not a whole lending backup (foreign, cut short or damaged)."
    ),
    Code.BACKUP_TOO_NEW: ErrorInfo(409, "The backup was made by a newer version: upgrade first."),
    Code.BACKUP_WRONG_DATABASE: ErrorInfo(
        409, "A SQLite backup restores into SQLite, a PostgreSQL one into PostgreSQL."
    ),
    Code.BACKUP_TOOLS_MISSING: ErrorInfo(
        503, "PostgreSQL's client tools (pg_dump, pg_restore, psql) are not installed."
    ),
    Code.BACKUP_FAILED: ErrorInfo(
        500, "A backup or restore could not finish (a tool's error, a file not writable)."
    ),
    Code.LABELS_REFUSED: ErrorInfo(422, "Some labels cannot be printed; each is listed."),
    Code.BAD_LABEL_TEMPLATE: ErrorInfo(422, "A label template file is not usable."),
    Code.UNKNOWN_TEMPLATE: ErrorInfo(422, "No label template of that name."),
    Code.UNKNOWN_SYMBOLOGY: ErrorInfo(422, "Barcodes are code128, codabar or code39."),
    Code.FORMAT_NOT_SUPPORTED: ErrorInfo(422, "Labels print as PDF or Zebra ZPL (as the stock)."),
    Code.NO_DEVICES_SELECTED: ErrorInfo(422, "Choose devices: barcodes, a filter or all."),
    Code.TOO_MANY_LABELS: ErrorInfo(422, "More labels than one batch prints."),
    Code.LABEL_TOO_SMALL: ErrorInfo(422, "The template's fields do not fit its label."),
    Code.CODE_TOO_LONG_FOR_LABEL: ErrorInfo(422, "The barcode does not fit the label's width."),
    Code.START_POSITION_OFF_SHEET: ErrorInfo(422, "The start position is not on the sheet."),
    Code.BAD_CHECK_DIGIT: ErrorInfo(422, "The barcode's check digit is wrong (a typo?)."),
    Code.BARCODE_NOT_ENCODABLE: ErrorInfo(422, "The symbology cannot encode the barcode."),
    Code.IMPORT_REJECTED: ErrorInfo(422, "The CSV has problems; every one is listed."),
    **{code: ErrorInfo(404, meaning) for code, meaning in _NOT_FOUND.items()},
    **{code: ErrorInfo(409, meaning) for code, meaning in _REFUSED.items()},
}


def markdown_table() -> str:
    """The registry as Markdown (by status, then code) for the README."""
    lines = ["| Status | Code | Meaning |", "|---|---|---|"]
    for code, info in sorted(ERRORS.items(), key=lambda item: (item[1].status, item[0].value)):
        lines.append(f"| {info.status} | `{code.value}` | {info.meaning} |")
    return "\n".join(lines) + "\n"
