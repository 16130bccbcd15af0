"""Patron notices: Jinja2 templates in English and Spanish (render) and the channels that carry
them (channels): email over SMTP and SMS through a webhook gateway. Delivery itself, with
bundling and retries, is lending.services.notices.delivery."""

from .channels import Channels, DeliveryError, EmailChannel, SmsChannel
from .render import Library, NoticeFacts, format_day, format_when, render_notice

__all__ = [
    "Channels",
    "DeliveryError",
    "EmailChannel",
    "Library",
    "NoticeFacts",
    "SmsChannel",
    "format_day",
    "format_when",
    "render_notice",
]
