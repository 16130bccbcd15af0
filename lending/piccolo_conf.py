"""Piccolo's configuration (PICCOLO_CONF): the engine (lending/database.py) and the one app.
Imported by Piccolo's migration commands only."""

from piccolo.conf.apps import AppRegistry

from .database import DB

__all__ = ["APP_REGISTRY", "DB"]

APP_REGISTRY = AppRegistry(apps=["lending.piccolo_app"])
