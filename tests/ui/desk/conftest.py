"""Fixtures for the agent desk: an English-speaking browser, cases in each department, a case that
came by email through the real pipeline."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from guichet.cases.actions import append_event
from guichet.cases.models import Case, EventKind
from guichet.channels.base import InboundAttachment, InboundMessage
from guichet.citizens.models import ContactKind, ContactPoint
from guichet.intake.pipeline import receive
from tests.factories import CaseFactory, CitizenFactory

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


@pytest.fixture
def client():
    """The UI's msgids are English; asking for English keeps assertions independent of the French
    catalogue."""
    return Client(HTTP_ACCEPT_LANGUAGE="en")


@pytest.fixture
def citizen(town):
    person = CitizenFactory(organization=town, display_name="Jeanne Dupont")
    ContactPoint.objects.create(
        organization=town, citizen=person, kind=ContactKind.EMAIL, value="jeanne.dupont@example.org"
    )
    ContactPoint.objects.create(
        organization=town, citizen=person, kind=ContactKind.PHONE, value="+33612345678"
    )
    return person


@pytest.fixture
def make_case(town, citizen):
    """A case of the town, in a department given by slug; other fields may be overridden."""

    def build(department: str | None = "etat-civil", **fields) -> Case:
        departments = {d.slug: d for d in town.departments.all()}
        values = {"citizen": citizen, "subject": "Demande", "channel": "email"}
        values.update(fields)
        if department is not None:
            values["department"] = departments[department]
        case = CaseFactory(**values)
        if "due_at" not in fields:
            case.due_at = case.created_at + timedelta(days=7)
            case.save(update_fields=["due_at"])
        return case

    return build


@pytest.fixture
def civil_case(make_case):
    return make_case("etat-civil", subject="Acte de naissance pour mon fils")


@pytest.fixture
def roads_case(make_case):
    return make_case("voirie", subject="Nid de poule rue des Lilas")


@pytest.fixture
def foreign_case(other_town):
    citizen = CitizenFactory(organization=other_town, display_name="Olivier Martin")
    return CaseFactory(
        citizen=citizen, department=other_town.departments.get(), subject="Demande à Montval"
    )


@pytest.fixture
def email_inbound():
    def build(**overrides) -> InboundMessage:
        values = {
            "channel": "email",
            "external_id": "msg-1@example.org",
            "email_message_id": "msg-1@example.org",
            "sender_address": "jeanne.dupont@example.org",
            "sender_name": "Jeanne Dupont",
            "subject": "Demande d'acte de naissance",
            "text": "Bonjour, je voudrais un extrait d'acte de naissance. Cordialement.",
            "html": "<p>Bonjour, je voudrais un <strong>extrait</strong> d'acte de naissance.</p>",
            "recipients": ("mairie@villebois.fr",),
            "raw": b"From: jeanne.dupont@example.org\r\n\r\nBonjour",
            "raw_filename": "message.eml",
        }
        values.update(overrides)
        return InboundMessage(**values)

    return build


@pytest.fixture
def email_case(
    town, departments, citizen, email_inbound, django_capture_on_commit_callbacks, mailoutbox
):
    """A case opened by an email with a PDF and a refused executable, through the real pipeline
    (acknowledged by email, routed to État civil); the outbox is emptied afterwards."""
    inbound = email_inbound(
        attachments=(
            InboundAttachment("justificatif.pdf", "application/pdf", PDF),
            InboundAttachment(
                "virus.exe", "application/x-msdownload", b"MZ\x90\x00" + b"\x00" * 64
            ),
        )
    )
    with django_capture_on_commit_callbacks(execute=True):
        reception = receive(town, inbound)
    case = reception.case
    assert case is not None
    assert case.department == departments["etat-civil"]
    mailoutbox.clear()
    return case


def add_events(case: Case, count: int) -> None:
    """Timeline padding for query-count tests: priority changes back and forth."""
    now = timezone.now()
    for index in range(count):
        append_event(
            case,
            EventKind.PRIORITY_CHANGED,
            actor_label="Système",
            data={"from": 2 + index % 2, "to": 3 - index % 2},
            at=now + timedelta(seconds=index),
        )
