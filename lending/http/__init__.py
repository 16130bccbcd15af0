"""The HTTP API (Litestar): parse, call a service, shape the reply."""
