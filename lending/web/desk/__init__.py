"""The circulation desk (/desk): scanning (circulation.py, scan.py), kits at the desk (kit.py),
finding and registering patrons (patrons.py)."""
