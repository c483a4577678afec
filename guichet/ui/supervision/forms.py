"""The wallboard's "move" form: assign to an agent, or transfer to a department with a reason.

Choices are built from lists loaded once per page, so that many rows cost no extra query."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from guichet.cases.models import Case
from guichet.organizations.models import Department, User


class MoveForm(forms.Form):
    action = forms.ChoiceField(choices=[("assign", "assign"), ("transfer", "transfer")])
    assignee = forms.TypedChoiceField(label=_("Assign to"), required=False, coerce=int)
    department = forms.TypedChoiceField(
        label=_("Move to the department"), required=False, coerce=int
    )
    reason = forms.CharField(label=_("Reason for the transfer"), max_length=500, required=False)
    seen_department = forms.IntegerField(required=False, widget=forms.HiddenInput)
    seen_assignee = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(
        self,
        data: Any = None,
        *,
        case: Case,
        departments: Sequence[Department],
        agents: Sequence[User],
    ) -> None:
        super().__init__(
            data,
            prefix=f"move-{case.pk}",
            initial={
                "seen_department": case.department_id,
                "seen_assignee": case.assignee_id,
                "assignee": case.assignee_id or "",
            },
        )
        self._agents = {agent.pk: agent for agent in agents}
        self._departments = {d.pk: d for d in departments if d.pk != case.department_id}
        assignee = self.fields["assignee"]
        department = self.fields["department"]
        assert isinstance(assignee, forms.ChoiceField)  # noqa: S101 — declared above
        assert isinstance(department, forms.ChoiceField)  # noqa: S101 — declared above
        assignee.choices = [("", _("nobody"))] + [
            (pk, str(agent)) for pk, agent in self._agents.items()
        ]
        department.choices = [("", "—")] + [(pk, d.name) for pk, d in self._departments.items()]

    def seen(self) -> tuple[int | None, int | None]:
        return self.cleaned_data.get("seen_department"), self.cleaned_data.get("seen_assignee")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        assignee_id = data.get("assignee")
        data["assignee"] = self._agents.get(assignee_id) if assignee_id else None
        department_id = data.get("department")
        data["department"] = self._departments.get(department_id) if department_id else None
        if data.get("action") == "transfer":
            if data["department"] is None:
                self.add_error("department", _("Choose the department."))
            if not (data.get("reason") or "").strip():
                self.add_error("reason", _("Say why the request is transferred."))
        return data
