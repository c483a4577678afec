"""Channel accounts in the admin: an organization's administrators configure their mailboxes, test
them and poll them now. The password is write-only: never shown, kept when left empty."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db import models
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from guichet.channels.email.imap import MailboxError, check_account, poll_account
from guichet.channels.email.providers import reroute_unrouted
from guichet.channels.email.unrouted import delete_unrouted
from guichet.channels.models import ChannelAccount, UnroutedMail
from guichet.core.admin import OrganizationScopedAdmin, is_platform_admin

# "Poll now" from the admin answers within a request; the periodic job fetches the rest.
ADMIN_POLL_MAX_MESSAGES = 200


class ChannelAccountForm(forms.ModelForm[ChannelAccount]):
    password = forms.CharField(
        label=_("password"),
        required=False,
        strip=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text=_("Stored encrypted. Leave empty to keep the current password."),
    )

    class Meta:
        model = ChannelAccount
        fields = [
            "organization",
            "department",
            "name",
            "kind",
            "address",
            "host",
            "port",
            "use_ssl",
            "use_starttls",
            "username",
            "password",
            "folder",
            "processed_folder",
            "is_active",
        ]

    def clean_password(self) -> str:
        password: str = self.cleaned_data.get("password") or ""
        if password:
            return password
        # Left empty: keep the stored one (read decrypted; empty when the keys changed since).
        if self.instance.pk is not None and self.instance.password:
            return str(self.instance.password)
        raise forms.ValidationError(_("Enter the password of the mailbox."))

    def clean(self) -> dict[str, Any]:
        cleaned: dict[str, Any] = super().clean() or {}
        if cleaned.get("use_ssl") and cleaned.get("use_starttls"):
            self.add_error("use_starttls", _("Choose TLS from the start or STARTTLS, not both."))
        organization = cleaned.get("organization")
        department = cleaned.get("department")
        if (
            department is not None
            and organization is not None
            and department.organization_id != organization.pk
        ):
            self.add_error("department", _("Choose a department of this organization."))
        folder = (cleaned.get("folder") or "").strip()
        processed = (cleaned.get("processed_folder") or "").strip()
        if processed and processed == folder:
            self.add_error(
                "processed_folder",
                _("Processed mail must go to another folder than the one read."),
            )
        return cleaned


@admin.register(ChannelAccount)
class ChannelAccountAdmin(OrganizationScopedAdmin):
    form = ChannelAccountForm
    list_display = [
        "name",
        "organization",
        "address",
        "department",
        "is_active",
        "last_polled_at",
        "state",
    ]
    list_filter = ["is_active", "kind"]
    search_fields = ["name", "address", "host", "username"]
    actions = ["test_connection", "poll_now"]
    readonly_fields = ["uidvalidity", "last_uid", "last_polled_at", "last_error"]
    fieldsets = [
        (None, {"fields": ["organization", "department", "name", "kind", "address", "is_active"]}),
        (
            _("Server"),
            {"fields": ["host", "port", "use_ssl", "use_starttls", "username", "password"]},
        ),
        (_("Folders"), {"fields": ["folder", "processed_folder"]}),
        (
            _("Polling state"),
            {"fields": ["last_polled_at", "last_error", "uidvalidity", "last_uid"]},
        ),
    ]

    @admin.display(description=_("state"))
    def state(self, obj: ChannelAccount) -> str:
        if obj.last_error:
            return str(_("Error: %(error)s") % {"error": obj.last_error.splitlines()[0][:120]})
        if obj.last_polled_at is None:
            return str(_("Never polled"))
        return str(_("OK"))

    def _label(self, account: ChannelAccount) -> str:
        return f"{account.name} <{account.address}>"

    @admin.action(description=_("Test the connection"))
    def test_connection(
        self, request: HttpRequest, queryset: models.QuerySet[ChannelAccount]
    ) -> None:
        for account in queryset.select_related("organization"):
            try:
                result = check_account(account)
            except MailboxError as exc:
                messages.error(request, f"{self._label(account)}: {exc}")
            else:
                messages.success(request, f"{self._label(account)}: {result}")

    @admin.action(description=_("Poll now"))
    def poll_now(self, request: HttpRequest, queryset: models.QuerySet[ChannelAccount]) -> None:
        for account in queryset.select_related("organization", "department"):
            report = poll_account(account, max_messages=ADMIN_POLL_MAX_MESSAGES)
            if report.busy:
                messages.warning(
                    request,
                    _("%(account)s: another poller is reading this mailbox; try again shortly.")
                    % {"account": self._label(account)},
                )
                continue
            if report.error:
                messages.error(request, f"{self._label(account)}: {report.error}")
                continue
            text = _(
                "%(account)s: %(fetched)d fetched, %(new)d new requests, %(threaded)d added to "
                "requests, %(duplicates)d already imported, %(held)d kept aside, %(errors)d errors."
            ) % {
                "account": self._label(account),
                "fetched": report.fetched,
                "new": report.new_cases,
                "threaded": report.threaded,
                "duplicates": report.duplicates,
                "held": report.held,
                "errors": report.errors,
            }
            if report.more_pending:
                text += " " + str(_("More messages are waiting: the periodic job fetches them."))
            level = messages.WARNING if report.held or report.errors else messages.SUCCESS
            messages.add_message(request, level, text)


@admin.register(UnroutedMail)
class UnroutedMailAdmin(admin.ModelAdmin[UnroutedMail]):
    """Mail that reached a provider webhook for no organization: it may be anyone's, so only the
    platform operators (superusers) see it. Read-only; routed again or deleted with its files."""

    list_display = ["received_at", "provider", "recipient_list", "size", "reason"]
    list_filter = ["provider"]
    search_fields = ["recipients", "reason", "sha256"]
    readonly_fields = [
        "provider",
        "storage_name",
        "reason",
        "recipients",
        "size",
        "sha256",
        "received_at",
    ]
    actions = ["route_again"]

    def has_module_permission(self, request: HttpRequest) -> bool:
        return is_platform_admin(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_platform_admin(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_platform_admin(request)

    @admin.display(description=_("recipients"))
    def recipient_list(self, obj: UnroutedMail) -> str:
        return ", ".join(obj.recipients)

    def delete_model(self, request: HttpRequest, obj: UnroutedMail) -> None:
        delete_unrouted(obj)

    def delete_queryset(
        self, request: HttpRequest, queryset: models.QuerySet[UnroutedMail]
    ) -> None:
        for mail in queryset:
            delete_unrouted(mail)

    @admin.action(description=_("Route again (after giving the address to an organization)"))
    def route_again(self, request: HttpRequest, queryset: models.QuerySet[UnroutedMail]) -> None:
        for mail in queryset:
            if not mail.storage_name.endswith(".eml"):
                messages.error(
                    request, _("%(name)s is not an email: it cannot be routed.") % {"name": mail}
                )
                continue
            try:
                outcome = reroute_unrouted(mail)
            except OSError as exc:
                messages.error(request, f"{mail}: {exc}")
                continue
            if outcome.receptions:
                references = ", ".join(
                    r.reference or r.record.external_id[:60] for r in outcome.receptions
                )
                messages.success(request, _("Routed: %(references)s.") % {"references": references})
            else:
                messages.warning(
                    request,
                    _("Still no organization receives mail at %(addresses)s.")
                    % {"addresses": ", ".join(mail.recipients) or "-"},
                )
