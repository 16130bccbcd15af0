"""Patrons (cards, households, blocks, PINs) and staff accounts."""
