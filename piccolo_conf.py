"""Piccolo configuration for its own CLI: the engine comes from LENDING_DATABASE_URL (see
lending/database.py); the app registry is lending/piccolo_conf.py."""

from lending.piccolo_conf import APP_REGISTRY, DB

__all__ = ["APP_REGISTRY", "DB"]
