"""Reads on organizations shared by the channels."""

from __future__ import annotations

from collections import defaultdict

from guichet.organizations.models import Department, Organization


def base_address(address: str) -> str:
    """`local+tag@domain` -> `local@domain`, lower-cased (sub-addresses reach the same mailbox)."""
    local, _, domain = address.strip().lower().partition("@")
    return f"{local.split('+', 1)[0]}@{domain}"


class RecipientDirectory:
    """Which organization receives mail at which address (its own, its departments'). An address
    claimed by two organizations (which validation refuses) leads nowhere rather than to a guess."""

    def __init__(self) -> None:
        organizations = {o.pk: o for o in Organization.objects.all()}
        owners: dict[str, set[int]] = defaultdict(set)
        for organization in organizations.values():
            if organization.email_address:
                owners[base_address(organization.email_address)].add(organization.pk)
        for address, organization_id in Department.objects.exclude(email_address="").values_list(
            "email_address", "organization_id"
        ):
            owners[base_address(address)].add(organization_id)
        self.by_address = {
            address: organizations[next(iter(ids))]
            for address, ids in owners.items()
            if len(ids) == 1
        }
        self.ambiguous = {address for address, ids in owners.items() if len(ids) > 1}
        self.only = next(iter(organizations.values())) if len(organizations) == 1 else None

    def find(
        self, recipients: tuple[str, ...], *, default_to_only: bool = True
    ) -> Organization | None:
        for address in recipients:
            found = self.by_address.get(base_address(address))
            if found is not None:
                return found
        return self.only if default_to_only else None
