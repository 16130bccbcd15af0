"""Reservations: devices booked for an event at a service point (circulation/reservations.py has
the rules): booking and its rules, setting devices aside, handing them out, and walk-up loans
beside them."""
