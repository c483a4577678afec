"""Identity that does not fragment: signed reply addresses, several addresses per citizen, and
messages relayed by web forms or SMS gateways attributed to the person inside them."""

from pathlib import Path

import pytest

from guichet.cases.actions import do_reply_case
from guichet.cases.models import Case, CaseEvent, EventKind
from guichet.channels.email.addresses import case_id_from_addresses, reply_address
from guichet.channels.email.parser import parse_email
from guichet.citizens.models import Citizen, ContactPoint
from guichet.intake.pipeline import receive

pytestmark = pytest.mark.django_db
CORPUS = Path(__file__).parent.parent / "channels" / "email" / "corpus"


def test_reply_address_token_round_trip_and_forgery(town, other_town):
    address = reply_address("mairie@villebois.fr", town.pk, 42)
    assert address.startswith("mairie+c42-")
    assert address.endswith("@villebois.fr")
    assert case_id_from_addresses((address,), town.pk) == 42
    assert case_id_from_addresses((address.upper(),), town.pk) == 42
    # Another organization, another case number or a made-up signature: nothing.
    assert case_id_from_addresses((address,), other_town.pk) is None
    assert case_id_from_addresses((address.replace("+c42-", "+c43-"),), town.pk) is None
    assert case_id_from_addresses(("mairie+c42-aaaaaaaaaa@villebois.fr",), town.pk) is None


def test_answer_to_the_signed_reply_address_threads_without_adopting_the_new_address(
    town, civil_agent, email_inbound, mailoutbox, django_capture_on_commit_callbacks
):
    case = receive(town, email_inbound()).case
    with django_capture_on_commit_callbacks(execute=True):
        do_reply_case(case, "Il nous faut votre date de naissance.", actor=civil_agent)
    sent = mailoutbox[-1]
    token_address = sent.reply_to[0]
    assert token_address.startswith("etat-civil+c") or token_address.startswith("mairie+c")
    # The citizen answers from her work address, with a new subject and no reply headers.
    answer = receive(
        town,
        email_inbound(
            external_id="work-1",
            email_message_id="work-1",
            sender_address="j.dupont@travail.example",
            subject="Date de naissance",
            text="Le 3 mars 1990.",
            recipients=(token_address,),
        ),
    ).case
    assert answer == case
    assert Citizen.objects.count() == 1
    # The new address is shown, not added: the citizen may have forwarded our mail to someone.
    assert list(ContactPoint.objects.values_list("value", flat=True)) == [
        "jeanne.dupont@example.org"
    ]
    identify = CaseEvent.objects.get(
        case=case, kind=EventKind.PIPELINE, data__step="identify", message__external_id="work-1"
    )
    assert identify.data["unattached"] == ["j.dupont@travail.example"]
    # Replies still go to the citizen's own address.
    with django_capture_on_commit_callbacks(execute=True):
        do_reply_case(case, "Merci, c'est noté.", actor=civil_agent)
    assert mailoutbox[-1].to == ["jeanne.dupont@example.org"]
    thread = CaseEvent.objects.get(
        case=case, kind=EventKind.PIPELINE, data__step="thread", message__external_id="work-1"
    )
    assert thread.data["how"] == "signed reply address"


def test_signed_address_never_pulls_in_someone_known_as_another_citizen(
    town, civil_agent, email_inbound, mailoutbox, django_capture_on_commit_callbacks
):
    case = receive(town, email_inbound()).case
    receive(
        town,
        email_inbound(external_id="p1", sender_address="paul@example.org", subject="Autre sujet"),
    )
    with django_capture_on_commit_callbacks(execute=True):
        do_reply_case(case, "Bonjour", actor=civil_agent)
    forwarded = receive(
        town,
        email_inbound(
            external_id="p2",
            sender_address="paul@example.org",
            subject="Vu",
            recipients=(mailoutbox[-1].reply_to[0],),
        ),
    ).case
    assert forwarded != case
    assert forwarded.citizen.contact_points.get().value == "paul@example.org"


def test_web_form_relay_is_attributed_to_the_person_in_reply_to(town):
    town.relay_senders = "formulaire@quartier-nord.example"
    town.save()
    inbound = parse_email((CORPUS / "no_charset.eml").read_bytes())
    case = receive(town, inbound).case
    assert case.citizen.contact_points.get().value == "thomas.girard@example.net"
    assert case.citizen.display_name == "Thomas Girard"
    identify = CaseEvent.objects.get(case=case, kind=EventKind.PIPELINE, data__step="identify")
    assert identify.data["relayed_by"] == "formulaire@quartier-nord.example"
    assert identify.data["found_in"] == "reply-to"


def test_sms_gateway_relay_is_attributed_to_the_phone_number(town, email_inbound):
    town.relay_senders = "@sms-passerelle.example"
    town.save()
    case = receive(
        town,
        email_inbound(
            sender_address="noreply@sms-passerelle.example",
            sender_name="Passerelle SMS",
            subject="SMS reçu",
            text="De : 06 12 34 56 78\nMessage : bonjour il y a un nid de poule rue des Lilas",
        ),
    ).case
    assert case.citizen.contact_points.get().value == "+33612345678"
    assert case.citizen.display_name == ""
    assert case.department.slug == "voirie"
    ack = CaseEvent.objects.get(case=case, kind=EventKind.PIPELINE, data__step="acknowledge")
    # The message is an SMS: the case, its conversation and the acknowledgement are on that channel.
    assert case.channel == "sms"
    assert ack.data["channel"] == "sms"


def test_relay_that_names_nobody_stays_the_sender(town, email_inbound):
    town.relay_senders = "formulaire@site.example"
    town.save()
    case = receive(
        town,
        email_inbound(
            sender_address="formulaire@site.example", text="Un message sans coordonnées."
        ),
    ).case
    assert case.citizen.contact_points.get().value == "formulaire@site.example"
    identify = CaseEvent.objects.get(case=case, kind=EventKind.PIPELINE, data__step="identify")
    assert identify.data["real_sender"] is None
    assert Case.objects.count() == 1
