"""lending: hotspot and laptop lending inventory for public libraries."""

__version__ = "0.1.0"
