"""Piccolo configuration: the engine comes from LENDING_DATABASE_URL (see lending/database.py)."""

from lending.database import APP_REGISTRY, DB

__all__ = ["APP_REGISTRY", "DB"]
