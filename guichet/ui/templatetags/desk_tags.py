"""Template helpers of the agent desk."""

from __future__ import annotations

from django import template

from guichet.ui.desk.forms import channel_label as _channel_label

register = template.Library()


@register.filter
def channel_label(channel: str) -> str:
    """The channel's name in the interface language (`email` -> "Email")."""
    return _channel_label(channel)
