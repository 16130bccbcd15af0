# The lending server. Configure it only through environment variables (LENDING_DATABASE_URL,
# LENDING_TIMEZONE, LENDING_LIBRARY_NAME, ...); see docker-compose.yml for PostgreSQL.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app

# Locked dependencies first, in their own layer, so code changes do not reinstall them.
COPY requirements.lock ./
RUN pip install -r requirements.lock

# Then the project itself (the `lending` command); root owns the code, the app cannot change it.
COPY . .
RUN pip install --no-deps . && rm -rf build *.egg-info

# piccolo_conf.py and labels/ sit at the top of the source tree, outside the installed package:
# /app on the path makes them (and the package beside them) importable from any working folder.
ENV PYTHONPATH=/app

# Non-root user. Its home is the working folder, so the default SQLite file (lending.sqlite3 in the
# working folder) lands in a writable volume when no LENDING_DATABASE_URL is given.
RUN useradd --system --uid 10001 --user-group --create-home --home-dir /var/lib/lending lending
USER lending
WORKDIR /var/lib/lending
VOLUME ["/var/lib/lending"]

EXPOSE 8000

HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/api/health', timeout=4).status == 200 else 1)"]

CMD ["sh", "-c", "lending migrate && exec lending serve --host 0.0.0.0 --port 8000"]
