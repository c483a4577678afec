"""URL converters: a path segment that cannot be a reference or a token never reaches a query
(a NUL byte in a URL made PostgreSQL fail instead of answering 404)."""

from __future__ import annotations

from django.urls import register_converter


class ReferenceConverter:
    regex = r"[A-Za-z0-9-]{1,40}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


class TokenConverter:
    regex = r"[A-Za-z0-9_-]{1,100}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(ReferenceConverter, "reference")
register_converter(TokenConverter, "token")
