"""Cellular service lines and data plans, and the carrier actions on them."""
