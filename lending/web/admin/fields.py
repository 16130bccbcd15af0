"""Reading admin forms: each value checked the way the API's request structs check it (length,
whole numbers, dates), with a plain message per field, so a form never reaches a service with a
value the database would refuse. Also the time format of the admin pages."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from urllib.parse import urlencode

from litestar import Request

from ...circulation import Invalid
from ...services._common.render import zone

__all__ = ["FormCheck", "local_time", "page_window"]

PAGE_SIZE = 25


class FormCheck:
    """The submitted values (kept for showing the form again) and the errors found so far,
    {field: message}; a service's `Invalid` is merged in with `refused`."""

    def __init__(self, form: dict[str, str]) -> None:
        self.form = form
        self.values: dict[str, Any] = dict(form)
        self.errors: dict[str, str] = {}

    @property
    def ok(self) -> bool:
        return not self.errors

    def add(self, name: str, message: str) -> None:
        self.errors.setdefault(name, message)

    def text(
        self, name: str, *, max_len: int, required: str | None = None, strip: bool = True
    ) -> str | None:
        """The text, or None when empty; `required` is the message for an empty value."""
        value = self.form.get(name, "")
        if strip:
            value = value.strip()
        if "\x00" in value:
            self.add(name, "Remove the invisible control characters.")
            return None
        if not value:
            if required:
                self.add(name, required)
            return None
        if len(value) > max_len:
            self.add(name, f"Use at most {max_len} characters (this has {len(value):,}).")
            return None
        return value

    def whole(self, name: str, *, low: int, high: int) -> int | None:
        raw = self.form.get(name, "").strip()
        if not raw:
            self.add(name, "Enter a number.")
            return None
        if not (raw.isascii() and raw.lstrip("-").isdigit()) or len(raw) > 12:
            self.add(name, f"Enter a whole number from {low} to {high}.")
            return None
        value = int(raw)
        if not low <= value <= high:
            self.add(name, f"Enter a whole number from {low} to {high}.")
            return None
        return value

    def day(self, name: str, *, required: str | None = None) -> date | None:
        raw = self.form.get(name, "").strip()
        if not raw:
            if required:
                self.add(name, required)
            return None
        try:
            if len(raw) != 10:
                raise ValueError(raw)
            return date.fromisoformat(raw)
        except ValueError:
            self.add(name, "Enter a date as YYYY-MM-DD, for example 2027-01-31.")
            return None

    def choice(self, name: str, options: tuple[str, ...] | list[str], message: str) -> str | None:
        value = self.form.get(name, "")
        if value not in options:
            self.add(name, message)
            return None
        return value

    def refused(self, exc: Invalid, known: tuple[str, ...] | set[str] = ()) -> None:
        """A service's field errors, shown next to their fields (or above the form)."""
        for error in exc.errors:
            message = error.message[:1].upper() + error.message[1:]
            if not message.endswith("."):
                message += "."
            self.add(error.field if error.field in known else "form", message)


def local_time(value: datetime | str | None, timezone: str, with_time: bool = True) -> str:
    """A time from a service (a datetime, or ISO text), as people read it in `timezone`:
    "Tue 8 Dec 2026, 23:59 CST"."""
    if not value:
        return ""
    try:
        moment = value if isinstance(value, datetime) else datetime.fromisoformat(value)
        moment = moment.astimezone(zone(timezone))
    except (ValueError, KeyError):
        return str(value)
    day = f"{moment:%a} {moment.day} {moment:%b %Y}"
    return f"{day}, {moment:%H:%M %Z}" if with_time else day


def page_window(request: Request, total: int, page: int, size: int = PAGE_SIZE) -> dict[str, Any]:
    """Previous/next links for a list of `total` items shown `size` at a time."""
    pages = max(1, -(-total // size))
    page = max(page, 1)
    query = {k: v for k, v in request.query_params.items() if k != "page" and v}

    def link(number: int) -> str:
        return request.url.path + "?" + urlencode({**query, "page": number})

    return {
        "page": page,
        "pages": pages,
        "total": total,
        "offset": (page - 1) * size,
        "size": size,
        "prev": link(page - 1) if page > 1 else None,
        "next": link(page + 1) if page < pages else None,
    }
