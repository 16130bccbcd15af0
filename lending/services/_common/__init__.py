"""Private helpers of the services: set-based SQL on both engines, paging, the audit
trail, the database's unique guards and shaping values for output."""
