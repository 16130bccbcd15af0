"""Circulation use cases: checkout, checkin and renewal (and their hot path), holds and
their expiry, loans, overdue notices and auto-renewal, charges, receipts, the device's next
place, and privacy."""
