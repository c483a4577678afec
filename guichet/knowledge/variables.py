"""Variables of reply templates: `{{ citizen_name }}` and its kin, checked at save, filled safely.

Rendering is plain substitution of known names (no template engine, no attribute access): a template
written by an administrator can neither reach data it was not given nor run code. An unknown name or
an unclosed `{{` is refused when the template is saved, with the list of the names that exist.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime

from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

VARIABLES: dict[str, object] = {
    "citizen_name": gettext_lazy("the citizen's name"),
    "reference": gettext_lazy("the request's reference"),
    "due_date": gettext_lazy("the date the answer is due"),
    "agent_name": gettext_lazy("the name of the agent who answers"),
    "organization": gettext_lazy("the organization's name"),
}
VARIABLE_HELP = gettext_lazy(
    "Variables, filled in when the template is used: {{ citizen_name }}, {{ reference }}, "
    "{{ due_date }}, {{ agent_name }}, {{ organization }}."
)

_VARIABLE = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")
_OPENING = re.compile(r"\{\{")


def check_template(text: str) -> list[str]:
    """Errors of a template's text (empty when it is fine)."""
    errors: list[str] = []
    unknown = sorted({name for name in _VARIABLE.findall(text) if name not in VARIABLES})
    if unknown:
        errors.append(
            _("Unknown variables: %(unknown)s. Available: %(known)s.")
            % {
                "unknown": ", ".join(f"{{{{ {name} }}}}" for name in unknown),
                "known": ", ".join(f"{{{{ {name} }}}}" for name in VARIABLES),
            }
        )
    if len(_OPENING.findall(text)) != len(_VARIABLE.findall(text)):
        errors.append(
            _("A variable is not written correctly: write it as {{ citizen_name }}, with a name.")
        )
    return errors


@dataclass(frozen=True)
class TemplateValues:
    citizen_name: str = ""
    reference: str = ""
    due_date: date | datetime | None = None
    agent_name: str = ""
    organization: str = ""

    def as_text(self) -> Mapping[str, str]:
        due = self.due_date
        if isinstance(due, datetime):
            due = timezone.localtime(due).date() if timezone.is_aware(due) else due.date()
        return {
            "citizen_name": self.citizen_name,
            "reference": self.reference,
            "due_date": formats.date_format(due, "DATE_FORMAT") if due else "",
            "agent_name": self.agent_name,
            "organization": self.organization,
        }


def render_template(text: str, values: TemplateValues) -> str:
    """The template's text with its variables filled (an unknown one is left as written)."""
    filled = values.as_text()

    def replace(match: re.Match[str]) -> str:
        return filled.get(match.group(1), match.group(0))

    return _VARIABLE.sub(replace, text)
