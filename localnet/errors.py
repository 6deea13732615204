"""Errors the network answers with: HTTP-level refusals and IC rejects."""
from _ic.errors import Reject

HELP_BASE = "http://internetcomputer.org/docs/current/references/execution-errors"

__all__ = ["HttpError", "Reject", "reject", "with_help"]


class HttpError(Exception):
    """Answer the HTTP request with ``status`` and a plain-text ``text`` body."""

    def __init__(self, status, text):
        super().__init__(status, text)
        self.status = status
        self.text = text


def reject(error_code, message):
    """A Reject whose reject code is the first digit of ``error_code`` (e.g. ``IC0512``)."""
    return Reject(int(error_code[3]), message, error_code)


def with_help(message, suggestion, anchor):
    """The replica's execution-error text: message, suggestion and documentation link."""
    return f"{message}\n{suggestion} See documentation: {HELP_BASE}#{anchor}"
