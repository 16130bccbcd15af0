"""Data in and out: CSV imports (all rows or none), exports, and the demo data."""
