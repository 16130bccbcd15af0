"""Piccolo tables. Money is stored in cents; times in UTC (rendered in the branch's zone)."""

from __future__ import annotations

from piccolo.columns import (
    JSON,
    BigInt,
    Boolean,
    Date,
    ForeignKey,
    Integer,
    Real,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns.base import OnDelete
from piccolo.table import Table

__all__ = [
    "ApiToken",
    "Branch",
    "CarrierAction",
    "Charge",
    "DataPlan",
    "JobRun",
    "LineMove",
    "Notice",
    "ServiceLine",
    "ServicePoint",
    "ServiceStop",
    "StopCancellation",
    "Transfer",
    "Closure",
    "Device",
    "Event",
    "Hold",
    "Loan",
    "LoginAttempt",
    "Patron",
    "Policy",
    "StaffUser",
    "TABLES",
    "AuditItem",
    "KitPart",
    "LoanPart",
    "Maintenance",
    "Processing",
    "ProcessingStep",
    "ServiceStep",
    "ShelfAudit",
    "Partner",
    "Program",
    "ProgramPartner",
    "ProgramPoint",
    "ProgramTerm",
    "Enrolment",
    "TrainingSession",
    "Attendance",
    "Agreement",
    "Reservation",
    "ReservationRule",
    "ReservationUnit",
    "SipAccount",
]


class Branch(Table):
    code = Varchar(length=32, unique=True, index=True)
    name = Varchar(length=200)
    timezone = Varchar(length=64)
    created_at = Timestamptz()


class Closure(Table):
    """A date the branch is closed: due dates computed from then on skip it."""

    branch = ForeignKey(Branch, on_delete=OnDelete.cascade, index=True)
    date = Date()
    reason = Varchar(length=200)


class ServicePoint(Table, tablename="service_point"):
    """Where the library lends: a branch desk, a bookmobile, a mobile lab, a partner site or a
    locker. It belongs to a parent branch, whose time zone and closed days it uses unless it has
    its own zone. Fixed points have weekly `hours`; vehicles have stops (ServiceStop)."""

    code = Varchar(length=32, unique=True)
    name = Varchar(length=200)
    type = Varchar(length=20)
    branch = ForeignKey(Branch, on_delete=OnDelete.restrict, index=True)
    address = Text(default="")
    timezone = Varchar(length=64, null=True, default=None)
    hours = JSON(default="{}")
    active = Boolean(default=True)
    created_at = Timestamptz()


class ServiceStop(Table, tablename="service_stop"):
    """A vehicle's regular stop in one season: `place` on `weekday` (0 = Monday) from `starts`
    to `ends` ("HH:MM", local time), every `every_weeks` weeks from the first such weekday on or
    after `season_starts`, until `season_ends` (None: open-ended)."""

    service_point = ForeignKey(ServicePoint, on_delete=OnDelete.cascade, index=True)
    place = Varchar(length=200)
    weekday = Integer()
    starts = Varchar(length=5)
    ends = Varchar(length=5)
    season_starts = Date()
    season_ends = Date(null=True, default=None)
    every_weeks = Integer(default=1)
    created_at = Timestamptz()


class StopCancellation(Table, tablename="stop_cancellation"):
    """One visit of a stop that will not happen."""

    stop = ForeignKey(ServiceStop, on_delete=OnDelete.cascade, index=True)
    date = Date()
    reason = Varchar(length=200)
    cancelled_at = Timestamptz()


class Partner(Table):
    """A partner organisation: a housing authority, a school, a community organisation."""

    code = Varchar(length=32, unique=True)
    name = Varchar(length=200)
    created_at = Timestamptz()


class Program(Table):
    """A lending program run with partners (services/programs, circulation/programs.py)."""

    code = Varchar(length=32, unique=True)
    name = Varchar(length=200)
    funder = Varchar(length=200, default="")
    starts_on = Date()
    ends_on = Date(null=True, default=None)
    kinds = JSON(default="[]")  # the kinds it lends
    training_hours = Real(default=0.0)  # hours of its sessions a patron attends before a loan
    agreement_version = Varchar(length=32, null=True, default=None)  # None: none required
    agreement_expires_on = Date(null=True, default=None)  # None: a year from signing
    attestation_required = Boolean(default=False)  # the funder's "would otherwise lack access"
    created_at = Timestamptz()


class Device(Table):
    barcode = Varchar(length=64, unique=True)
    kind = Varchar(length=32, index=True)
    model = Varchar(length=200)
    serial_number = Varchar(length=100, index=True)
    imei = Varchar(length=20, null=True, default=None)
    branch = ForeignKey(Branch, on_delete=OnDelete.restrict, index=True)
    status = Varchar(length=20, default="available")
    replacement_cost_cents = BigInt(default=0)
    notes = Text(default="")
    needs_label = Boolean(default=True)
    # Printed on hotspot labels when set (the label template decides whether to print them).
    wifi_name = Varchar(length=64, null=True, default=None)
    wifi_password = Varchar(length=64, null=True, default=None)
    created_at = Timestamptz()
    updated_at = Timestamptz()
    # Inventory: the shelf or area where it is kept ("" = anywhere at the branch), and when it
    # was last physically seen (a checkin or a shelf-audit scan).
    location = Varchar(length=100, default="")
    last_seen_at = Timestamptz(null=True, default=None)
    # When the library got it (reports count it in service from then; unknown: its first loan
    # or when it was added, whichever is earlier).
    acquired_on = Date(null=True, default=None)
    # The service point where it is now (None: its branch's own desk). A transfer moves it.
    current_point = ForeignKey(ServicePoint, on_delete=OnDelete.restrict, null=True, default=None)
    # The program whose stock the device is in (lent only under it), or None.
    program = ForeignKey(Program, on_delete=OnDelete.restrict, null=True, default=None)


class Transfer(Table):
    """A device sent from one service point to another: `in_transit` until it is scanned in at
    the destination (`received`), or `cancelled` when staff set the device's status by hand."""

    device = ForeignKey(Device, on_delete=OnDelete.restrict, index=True)
    from_point = ForeignKey(ServicePoint, on_delete=OnDelete.restrict)
    to_point = ForeignKey(ServicePoint, on_delete=OnDelete.restrict, index=True)
    status = Varchar(length=20, default="in_transit")
    sent_at = Timestamptz()
    sent_by = Varchar(length=64)
    received_at = Timestamptz(null=True, default=None)
    received_by = Varchar(length=64, null=True, default=None)


class Patron(Table):
    card_number = Varchar(length=64, unique=True)
    name = Varchar(length=200)
    email = Varchar(length=254, null=True, default=None)
    phone = Varchar(length=32, null=True, default=None)
    language = Varchar(length=2, default="en")
    household = Varchar(length=64, null=True, default=None, index=True)
    branch = ForeignKey(Branch, on_delete=OnDelete.restrict, null=True, default=None)
    expires_on = Date(null=True, default=None)
    blocked = Boolean(default=False)
    block_reason = Varchar(length=500, null=True, default=None)
    pin_hash = Varchar(length=200, null=True, default=None)
    created_at = Timestamptz()


class Policy(Table):
    kind = Varchar(length=32, unique=True)
    loan_days = Integer()
    renewal_days = Integer()
    max_renewals = Integer()
    auto_renew = Boolean(default=False)
    max_active_loans_per_patron = Integer()
    max_active_loans_per_household = Integer()
    hold_pickup_days = Integer()
    reminder_days_before_due = Integer()
    overdue_notice_days = JSON(default="[]")
    suspend_line_after_days = Integer()
    lost_after_days = Integer()
    overdue_blocks_checkout = Varchar(length=16, default="patron")
    overdue_blocks_checkout_after_days = Integer(default=0)
    staff_may_renew_overdue = Boolean(default=True)
    resident_may_renew_overdue = Boolean(default=False)


class ReservationRule(Table, tablename="reservation_rule"):
    """A kind's reservation rules (circulation/reservations.py has the defaults)."""

    kind = Varchar(length=32, unique=True)
    lead_time_hours = Integer(default=24)
    max_length_hours = Integer(default=72)
    buffer_minutes = Integer(default=60)
    set_aside_hours = Integer(default=24)
    auto_cancel_minutes = Integer(default=30)


class Reservation(Table):
    """Devices booked for a time window at a service point, for an event (services/reservations).
    `free_at`, `set_aside_at` and `no_show_at` are the kind's rules applied when it was made:
    the end plus the buffer, when its devices are pulled, when it is a no-show."""

    service_point = ForeignKey(ServicePoint, on_delete=OnDelete.restrict, index=True)
    branch = ForeignKey(Branch, on_delete=OnDelete.restrict)
    kind = Varchar(length=32)
    quantity = Integer()
    starts_at = Timestamptz()
    ends_at = Timestamptz()
    free_at = Timestamptz()
    set_aside_at = Timestamptz()
    no_show_at = Timestamptz()
    event = Varchar(length=200)
    responsible = Varchar(length=200)  # who answers for the devices, as named
    patron = ForeignKey(Patron, on_delete=OnDelete.restrict, null=True, default=None)
    partner = ForeignKey(Partner, on_delete=OnDelete.restrict, null=True, default=None)
    status = Varchar(length=20)
    made_by = Varchar(length=100)
    notes = Text(default="")
    short = Integer(default=0)  # units with no device to set aside at the last try
    created_at = Timestamptz()
    closed_at = Timestamptz(null=True, default=None)
    close_reason = Varchar(length=200, default="")


class Loan(Table):
    """A loan. `returned_at IS NULL` means it is still out (active, or lost and not back);
    a partial unique index allows only one such loan per device."""

    device = ForeignKey(Device, on_delete=OnDelete.restrict, index=True)
    patron = ForeignKey(Patron, on_delete=OnDelete.restrict, null=True, default=None, index=True)
    branch = ForeignKey(Branch, on_delete=OnDelete.restrict)
    kind = Varchar(length=32)
    household = Varchar(length=64, null=True, default=None)
    checked_out_at = Timestamptz()
    due_at = Timestamptz()  # indexed for open loans only (guards migration)
    renewals = Integer(default=0)
    status = Varchar(length=20, default="active")
    returned_at = Timestamptz(null=True, default=None)
    checked_out_by = Varchar(length=100, default="")
    # Where it was lent, when the desk named a service point (a vehicle's loans are due on a
    # day it is back at that stop).
    service_point = ForeignKey(ServicePoint, on_delete=OnDelete.restrict, null=True, default=None)
    # Indexed where set, with checked_out_at, for the program reports (guards migration).
    program = ForeignKey(Program, on_delete=OnDelete.restrict, null=True, default=None)
    # A loan to a reservation's event (picked up; due at the window's end).
    reservation = ForeignKey(Reservation, on_delete=OnDelete.restrict, null=True, default=None)
    # A walk-up loan whose due date was shortened for this reservation.
    shortened_for = ForeignKey(Reservation, on_delete=OnDelete.restrict, null=True, default=None)


class ReservationUnit(Table, tablename="reservation_unit"):
    """One device of a reservation: named at booking, or any of the kind (`device` empty until
    one is set aside or handed out); `loan` once lent to the event."""

    reservation = ForeignKey(Reservation, on_delete=OnDelete.cascade, index=True)
    device = ForeignKey(Device, on_delete=OnDelete.restrict, null=True, default=None, index=True)
    named = Boolean(default=False)
    status = Varchar(length=20)
    loan = ForeignKey(Loan, on_delete=OnDelete.restrict, null=True, default=None)
    note = Varchar(length=200, default="")


class Hold(Table):
    patron = ForeignKey(Patron, on_delete=OnDelete.restrict, null=True, default=None, index=True)
    kind = Varchar(length=32)
    branch = ForeignKey(Branch, on_delete=OnDelete.restrict)
    status = Varchar(length=20, default="waiting", index=True)
    device = ForeignKey(Device, on_delete=OnDelete.restrict, null=True, default=None)
    ready_until = Timestamptz(null=True, default=None)
    placed_at = Timestamptz()
    closed_at = Timestamptz(null=True, default=None)
    # Where the patron collects it (None: the branch's own desk), e.g. a bookmobile stop.
    pickup_point = ForeignKey(ServicePoint, on_delete=OnDelete.restrict, null=True, default=None)


class StaffUser(Table, tablename="staff_user"):
    username = Varchar(length=64, unique=True)
    password_hash = Varchar(length=200)
    role = Varchar(length=16)
    active = Boolean(default=True)
    created_at = Timestamptz()
    partner = ForeignKey(Partner, on_delete=OnDelete.restrict, null=True, default=None)


class ApiToken(Table, tablename="api_token"):
    """Bearer tokens, stored only as SHA-256 digests."""

    digest = Varchar(length=64, unique=True)
    role = Varchar(length=16)
    staff = ForeignKey(StaffUser, on_delete=OnDelete.cascade, null=True, default=None)
    patron = ForeignKey(Patron, on_delete=OnDelete.cascade, null=True, default=None)
    created_at = Timestamptz()
    expires_at = Timestamptz(index=True)


class LoginAttempt(Table, tablename="login_attempt"):
    """Failed logins per account and per client address, for lockout. A row is written before
    the secret is checked (a reservation, counted as a failure) and the account's rows are
    cleared when the login succeeds."""

    account = Varchar(length=100, index=True)
    at = Timestamptz()
    client = Varchar(length=64, default="", index=True)  # the client address ("" = not known)


class Event(Table):
    """The audit trail: who did what to which subject. The patron is a separate column so
    that anonymization can drop it without rewriting details."""

    at = Timestamptz(index=True)
    actor = Varchar(length=100, index=True)
    action = Varchar(length=64, index=True)
    subject = Varchar(length=100, index=True)
    details = JSON(default="{}")
    patron_card = Varchar(length=64, null=True, default=None)
    loan = BigInt(null=True, default=None, index=True)
    # The HTTP request (X-Request-ID) or SIP2 message that made it; None for jobs and the CLI.
    request_id = Varchar(length=64, null=True, default=None)


class DataPlan(Table, tablename="data_plan"):
    carrier = Varchar(length=100)
    name = Varchar(length=200)
    monthly_cost_cents = BigInt(default=0)
    data_cap_gb = Integer(null=True, default=None)  # None: unlimited
    term_end = Date(null=True, default=None)  # term end / renewal date
    created_at = Timestamptz()


class ServiceLine(Table, tablename="service_line"):
    """A carrier line (SIM): ICCID, phone number, plan, status and the device it sits in."""

    iccid = Varchar(length=20, unique=True, index=True)
    msisdn = Varchar(length=16, unique=True)
    carrier = Varchar(length=100)
    plan = ForeignKey(DataPlan, on_delete=OnDelete.restrict, null=True, default=None)
    status = Varchar(length=16, default="active", index=True)
    device = ForeignKey(Device, on_delete=OnDelete.restrict, null=True, default=None)
    created_at = Timestamptz()
    updated_at = Timestamptz()


class LineMove(Table, tablename="line_move"):
    """History of a line's moves between devices (SIM swaps)."""

    line = ForeignKey(ServiceLine, on_delete=OnDelete.cascade, index=True)
    from_device = ForeignKey(Device, on_delete=OnDelete.restrict, null=True, default=None)
    to_device = ForeignKey(Device, on_delete=OnDelete.restrict, null=True, default=None)
    at = Timestamptz()
    actor = Varchar(length=100)


class CarrierAction(Table, tablename="carrier_action"):
    """A suspend or restore the carrier gateway must carry out (an outbox, retried)."""

    line = ForeignKey(ServiceLine, on_delete=OnDelete.cascade, index=True)
    action = Varchar(length=16)  # suspend, restore
    loan = BigInt(null=True, default=None)
    status = Varchar(length=16, default="pending", index=True)  # pending, task, done, failed
    attempts = Integer(default=0)
    next_attempt_at = Timestamptz(index=True)
    last_error = Text(default="")
    created_at = Timestamptz()
    done_at = Timestamptz(null=True, default=None)
    done_by = Varchar(length=100, default="")


class Notice(Table):
    """The outbox of patron notices; (kind, loan, stage) is unique so no notice is sent twice."""

    patron = ForeignKey(Patron, on_delete=OnDelete.restrict, null=True, default=None, index=True)
    kind = Varchar(length=32)
    loan = BigInt(null=True, default=None)
    hold = BigInt(null=True, default=None)
    stage = Varchar(length=40, default="")
    channel = Varchar(length=16, default="email")  # email, sms, call
    recipient = Varchar(length=254, null=True, default=None)  # set for notices not to a patron
    language = Varchar(length=2, default="en")
    subject = Text(default="")
    body = Text(default="")
    status = Varchar(length=16, default="pending", index=True)  # pending, sent, failed
    attempts = Integer(default=0)
    next_attempt_at = Timestamptz(index=True)
    last_error = Text(default="")
    created_at = Timestamptz()
    sent_at = Timestamptz(null=True, default=None)


class Charge(Table):
    """Money a patron owes for a loan: a lost device's replacement cost, later kit parts."""

    loan = ForeignKey(Loan, on_delete=OnDelete.restrict, index=True)
    patron = ForeignKey(Patron, on_delete=OnDelete.restrict, null=True, default=None)
    kind = Varchar(length=32)
    amount_cents = BigInt()
    status = Varchar(length=16, default="open")  # open, waived, paid
    created_at = Timestamptz()
    closed_at = Timestamptz(null=True, default=None)


class ShelfAudit(Table, tablename="shelf_audit"):
    """A shelf audit of a branch (optionally one location): open while staff scan, then
    closed, which lists the expected devices not scanned as missing."""

    branch = ForeignKey(Branch, on_delete=OnDelete.restrict, index=True)
    location = Varchar(length=100, default="")  # "" = the whole branch
    status = Varchar(length=16, default="open", index=True)  # open, closed, cancelled
    started_at = Timestamptz()
    started_by = Varchar(length=100, default="")
    closed_at = Timestamptz(null=True, default=None)
    closed_by = Varchar(length=100, default="")
    lost_reason = Varchar(length=500, null=True, default=None)  # set when missing marked lost
    summary = JSON(default="{}")


class AuditItem(Table, tablename="audit_item"):
    """One scan of an audit, or (once it is closed) one expected device nobody scanned.
    result: found, other_branch, on_loan, unknown, duplicate, missing."""

    audit = ForeignKey(ShelfAudit, on_delete=OnDelete.cascade)  # indexed with device (guards)
    barcode = Varchar(length=80)
    device = ForeignKey(Device, on_delete=OnDelete.set_null, null=True, default=None)
    result = Varchar(length=16)
    scanned_at = Timestamptz(null=True, default=None)
    scanned_by = Varchar(length=100, default="")


class KitPart(Table, tablename="kit_part"):
    """A part of a device's kit (charger, cable, case, SIM...). status: present, missing,
    damaged (neither goes out on a loan until set present again), removed."""

    device = ForeignKey(Device, on_delete=OnDelete.restrict, index=True)
    name = Varchar(length=100)
    barcode = Varchar(length=64, null=True, default=None, unique=True)
    replacement_cost_cents = BigInt(default=0)
    status = Varchar(length=16, default="present")
    created_at = Timestamptz()
    updated_at = Timestamptz()


class LoanPart(Table, tablename="loan_part"):
    """A kit part that went out with a loan, and how it came back (out, returned, missing,
    damaged); a missing or damaged part's charge id."""

    loan = ForeignKey(Loan, on_delete=OnDelete.restrict, index=True)
    part = ForeignKey(KitPart, on_delete=OnDelete.restrict, index=True)
    outcome = Varchar(length=16, default="out")
    charge = BigInt(null=True, default=None)
    checked_at = Timestamptz(null=True, default=None)
    checked_by = Varchar(length=100, default="")


class ServiceStep(Table, tablename="service_step"):
    """A kind's return-to-service steps, in order (laptop: wipe, inspect, charge)."""

    kind = Varchar(length=32, index=True)
    position = Integer()
    name = Varchar(length=100)


class Processing(Table):
    """A device's return to service after a checkin. status: open, done, repair, cancelled."""

    device = ForeignKey(Device, on_delete=OnDelete.restrict, index=True)
    loan = BigInt(null=True, default=None)
    status = Varchar(length=16, default="open")
    started_at = Timestamptz()
    finished_at = Timestamptz(null=True, default=None)
    finished_by = Varchar(length=100, default="")


class ProcessingStep(Table, tablename="processing_step"):
    """One step of a processing run: who did it and when (null until done)."""

    processing = ForeignKey(Processing, on_delete=OnDelete.cascade, index=True)
    position = Integer()
    name = Varchar(length=100)
    done_at = Timestamptz(null=True, default=None)
    done_by = Varchar(length=100, default="")


class Maintenance(Table):
    """The maintenance log: a repair of a device (date, problem, cost, resolution)."""

    device = ForeignKey(Device, on_delete=OnDelete.restrict, index=True)
    opened_at = Timestamptz()
    opened_by = Varchar(length=100, default="")
    problem = Text()
    cost_cents = BigInt(default=0)
    resolution = Text(default="")
    resolved_at = Timestamptz(null=True, default=None)
    resolved_by = Varchar(length=100, default="")


class JobRun(Table, tablename="job_run"):
    """One run of a scheduled job: when, for which `now`, what it did, and any error."""

    job = Varchar(length=32, index=True)
    now = Timestamptz()
    started_at = Timestamptz()
    finished_at = Timestamptz(null=True, default=None)
    summary = JSON(default="{}")
    error = Text(default="")
    instance = Varchar(length=100, default="")
    trigger = Varchar(length=16, default="schedule")  # schedule, api, cli


class ProgramPartner(Table, tablename="program_partner"):
    program = ForeignKey(Program, on_delete=OnDelete.cascade)
    partner = ForeignKey(Partner, on_delete=OnDelete.restrict, index=True)


class ProgramPoint(Table, tablename="program_point"):
    program = ForeignKey(Program, on_delete=OnDelete.cascade)
    service_point = ForeignKey(ServicePoint, on_delete=OnDelete.restrict)


class ProgramTerm(Table, tablename="program_term"):
    """A program's terms for one kind (None: the kind's policy) and its quota."""

    program = ForeignKey(Program, on_delete=OnDelete.cascade)
    kind = Varchar(length=32)
    loan_days = Integer(null=True, default=None)
    renewal_days = Integer(null=True, default=None)
    max_renewals = Integer(null=True, default=None)
    household_limit = Integer(null=True, default=None)
    quota = Integer(null=True, default=None)


class Enrolment(Table):
    """A patron's enrolment: who verified eligibility, how, when, until when. The attestation is
    kept, never the documents. Anonymized (patron and household cleared) after the program."""

    program = ForeignKey(Program, on_delete=OnDelete.restrict)
    patron = ForeignKey(Patron, on_delete=OnDelete.restrict, null=True, default=None, index=True)
    household = Varchar(length=64, null=True, default=None)
    method = Varchar(length=32)
    verified_by = Varchar(length=100)
    verified_on = Date()
    expires_on = Date(null=True, default=None)
    attested = Boolean(default=False)  # the household would otherwise lack access
    attested_on = Date(null=True, default=None)
    created_at = Timestamptz()
    anonymized_at = Timestamptz(null=True, default=None)


class TrainingSession(Table, tablename="training_session"):
    program = ForeignKey(Program, on_delete=OnDelete.restrict, index=True)
    topic = Varchar(length=200)
    starts_at = Timestamptz()
    service_point = ForeignKey(ServicePoint, on_delete=OnDelete.restrict, null=True, default=None)
    capacity = Integer()
    hours = Real()
    created_at = Timestamptz()


class Attendance(Table):
    """Sign-up for a session, and attendance (by card scan)."""

    session = ForeignKey(TrainingSession, on_delete=OnDelete.cascade)
    patron = ForeignKey(Patron, on_delete=OnDelete.restrict, null=True, default=None, index=True)
    signed_up_at = Timestamptz()
    attended_at = Timestamptz(null=True, default=None)


class Agreement(Table):
    """A signed borrower agreement: a typed name or a drawing (SVG path) from the desk screen."""

    program = ForeignKey(Program, on_delete=OnDelete.restrict, index=True)
    patron = ForeignKey(Patron, on_delete=OnDelete.restrict, null=True, default=None, index=True)
    version = Varchar(length=32)
    signature_kind = Varchar(length=8)
    signature = Text(default="")
    signed_at = Timestamptz()
    expires_on = Date()
    recorded_by = Varchar(length=100)


class OfflineSession(Table, tablename="offline_session"):
    """A desk's queue of work done without a connection, uploaded (or imported from its
    exported file) and replayed. `uid` is the desk's own id for it: uploading it again is a
    no-op."""

    uid = Varchar(length=64, unique=True)
    service_point = ForeignKey(ServicePoint, on_delete=OnDelete.restrict, null=True, default=None)
    source = Varchar(length=8)  # desk (the page uploaded it) or file (an admin imported it)
    uploaded_by = Varchar(length=100)
    uploaded_at = Timestamptz()
    transactions = Integer(default=0)
    applied = Integer(default=0)
    exceptions = Integer(default=0)


class OfflineTransaction(Table, tablename="offline_transaction"):
    """One queued checkout, checkin or renewal and what its replay did: `applied` (with its
    loan), `exception` (with the refusal's code, for staff to resolve), then `resolved` (applied
    later by a person, named) or `discarded` (with a reason). `uid` is the desk's id for it."""

    session = ForeignKey(OfflineSession, on_delete=OnDelete.cascade, index=True)
    uid = Varchar(length=80, unique=True)  # a repeat seen in a later session: "<uid>@<session>"
    seq = Integer()  # its place in the desk's queue
    action = Varchar(length=8)  # checkout, checkin, renew
    device = Varchar(length=64)
    patron = Varchar(length=64, null=True, default=None)
    at = Timestamptz()  # the desk's clock when it was scanned
    clerk = Varchar(length=100)
    provisional_due_at = Timestamptz(null=True, default=None)
    status = Varchar(length=10, index=True)
    code = Varchar(length=64, null=True, default=None)
    detail = Text(default="")
    loan = BigInt(null=True, default=None)
    due_at = Timestamptz(null=True, default=None)
    resolved_by = Varchar(length=100, null=True, default=None)
    resolved_at = Timestamptz(null=True, default=None)
    reason = Text(default="")


class SipAccount(Table, tablename="sip_account"):
    """A self-check kiosk's or laptop locker's SIP2 login (lending/sip2): it lends at its service
    point and is the actor in the audit trail. `encoding`: cp850 or utf-8."""

    name = Varchar(length=64, unique=True)
    password_hash = Varchar(length=200)
    service_point = ForeignKey(ServicePoint, on_delete=OnDelete.restrict)
    encoding = Varchar(length=16, default="cp850")
    active = Boolean(default=True)
    created_at = Timestamptz()


TABLES = [
    Branch,
    Closure,
    ServicePoint,
    ServiceStop,
    StopCancellation,
    Partner,
    Program,
    Device,
    Transfer,
    Patron,
    Policy,
    ReservationRule,
    Reservation,
    Loan,
    ReservationUnit,
    Hold,
    StaffUser,
    ApiToken,
    LoginAttempt,
    Event,
    DataPlan,
    ServiceLine,
    LineMove,
    CarrierAction,
    Notice,
    Charge,
    JobRun,
    ShelfAudit,
    AuditItem,
    KitPart,
    LoanPart,
    ServiceStep,
    Processing,
    ProcessingStep,
    Maintenance,
    ProgramPartner,
    ProgramPoint,
    ProgramTerm,
    Enrolment,
    TrainingSession,
    Attendance,
    Agreement,
    OfflineSession,
    OfflineTransaction,
    SipAccount,
]
