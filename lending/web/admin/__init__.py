"""The admin console (/admin): one module per section; the menu is nav.py."""
