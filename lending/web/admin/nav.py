"""The admin console's sections, in menu order, each with the action that opens it (the menu
shows a role only the sections the permission table lets it open). A new area adds one line."""

from __future__ import annotations

from ...circulation.permissions import Action

__all__ = ["ADMIN_NAV"]

ADMIN_NAV: list[tuple[str, str, Action]] = [
    ("/admin", "Dashboard", Action.REPORT_READ),
    ("/admin/devices", "Devices", Action.DEVICE_READ),
    ("/admin/lines", "Lines & plans", Action.LINE_MANAGE),
    ("/admin/patrons", "Patrons", Action.PATRON_READ),
    ("/admin/policies", "Loan policies", Action.POLICY_READ),
    ("/admin/branches", "Branches", Action.POLICY_READ),
    ("/admin/service-points", "Service points", Action.POLICY_READ),
    ("/admin/programs", "Programs", Action.PROGRAM_READ),
    ("/admin/reservations", "Reservations", Action.RESERVATION_READ),
    ("/admin/staff", "Staff", Action.STAFF_MANAGE),
    ("/admin/kiosks", "Kiosks (SIP2)", Action.KIOSK_MANAGE),
    ("/admin/tasks", "Carrier tasks & calls", Action.LINE_MANAGE),
    ("/admin/notices", "Notices", Action.NOTICE_MANAGE),
    ("/admin/labels", "Labels", Action.LABEL_PRINT),
    ("/admin/jobs", "Jobs", Action.JOB_RUN),
    ("/admin/imports", "Import", Action.IMPORT),
    ("/admin/exports", "Export", Action.EXPORT),
    ("/admin/reports", "Reports", Action.REPORT_READ),
    ("/admin/audits", "Shelf audits", Action.AUDIT_RUN),
    ("/admin/inventory/not-seen", "Not seen", Action.DEVICE_READ),
    ("/admin/processing", "Return to service", Action.PROCESSING_WORK),
]
