"""The resident portal (/my), in English and Spanish."""
