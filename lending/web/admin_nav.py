"""The admin console's sections, in menu order. A new area adds one line here."""

from __future__ import annotations

__all__ = ["ADMIN_NAV"]

ADMIN_NAV: list[tuple[str, str]] = [
    ("/admin", "Dashboard"),
    ("/admin/devices", "Devices"),
    ("/admin/lines", "Lines & plans"),
    ("/admin/patrons", "Patrons"),
    ("/admin/policies", "Loan policies"),
    ("/admin/branches", "Branches"),
    ("/admin/staff", "Staff"),
    ("/admin/tasks", "Carrier tasks & calls"),
    ("/admin/notices", "Notices"),
    ("/admin/labels", "Labels"),
    ("/admin/jobs", "Jobs"),
    ("/admin/imports", "Import"),
    ("/admin/exports", "Export"),
    ("/admin/reports", "Reports"),
    ("/admin/audits", "Shelf audits"),
    ("/admin/processing", "Return to service"),
]
