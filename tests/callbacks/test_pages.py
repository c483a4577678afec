"""The callback pages of the portal and of the desk."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse

from guichet.callbacks.actions import do_book_callback
from guichet.callbacks.models import BookedVia, Callback, CallbackStatus
from guichet.callbacks.slots import free_slots
from guichet.cases.models import Case, CaseEvent
from guichet.ui.callback_forms import SLOT_FORMAT


@pytest.fixture(autouse=True)
def _english(settings):
    """The assertions read the English texts, whatever catalogues are compiled."""
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def client():
    return Client(HTTP_ACCEPT_LANGUAGE="en")


@pytest.fixture
def first_slot(departments, office):
    return free_slots(departments["accueil"])[0]


def test_the_portal_pages_link_to_the_callback_page(client, town, civil_case):
    page = client.get(reverse("portal:organization", args=[town.slug]))
    assert reverse("portal:callback", args=[town.slug]) in page.content.decode()
    tracking = client.get(reverse("portal:tracking", args=[town.slug, civil_case.tracking_token]))
    assert (
        reverse("portal:tracking_callback", args=[town.slug, civil_case.tracking_token])
        in tracking.content.decode()
    )


def test_a_citizen_books_a_callback_from_the_portal(client, town, first_slot):
    url = reverse("portal:callback", args=[town.slug])
    page = client.get(url)
    assert page.status_code == 200
    assert f'value="{first_slot.value}"' in page.content.decode()
    response = client.post(
        url,
        {
            "nonce": "5b0b5b8e-8a42-4c47-9d4e-8f7f5c1d1a10",
            "name": "Jeanne Dupont",
            "phone": "06 12 34 56 78",
            "slot": first_slot.value,
            "reason": "Question sur un acte",
        },
    )
    case = Case.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("portal:tracking", args=[town.slug, case.tracking_token])
    callback = Callback.objects.get()
    assert (callback.case, callback.phone, callback.slot_start, callback.booked_via) == (
        case,
        "+33612345678",
        first_slot.start,
        BookedVia.PORTAL,
    )
    assert callback.department == town.default_department
    assert CaseEvent.objects.filter(case=case, kind="callback.booked").count() == 1


@pytest.mark.parametrize(
    ("shift", "message"),
    [
        (-timedelta(days=14), "This time has already passed: choose a later slot."),
        (timedelta(hours=14), "does not call back at this time"),
    ],
    ids=["past", "night"],
)
def test_a_bad_slot_is_refused_and_nothing_is_stored(client, town, first_slot, shift, message):
    response = client.post(
        reverse("portal:callback", args=[town.slug]),
        {
            "nonce": "5b0b5b8e-8a42-4c47-9d4e-8f7f5c1d1a10",
            "name": "Jeanne Dupont",
            "phone": "0612345678",
            "slot": (first_slot.start + shift).strftime(SLOT_FORMAT),
        },
    )
    assert response.status_code == 400
    assert message in response.content.decode()
    assert (Case.objects.count(), Callback.objects.count()) == (0, 0)


def test_a_made_up_slot_value_is_refused(client, town, office):
    response = client.post(
        reverse("portal:callback", args=[town.slug]),
        {"name": "Jeanne", "phone": "0612345678", "slot": "tomorrow"},
    )
    assert response.status_code == 400
    assert "Choose a time from the list." in response.content.decode()
    assert Case.objects.count() == 0


def test_booking_and_cancelling_from_the_tracking_page(
    client, town, civil_case, departments, office
):
    slot = free_slots(departments["etat-civil"])[0]
    url = reverse("portal:tracking_callback", args=[town.slug, civil_case.tracking_token])
    response = client.post(url, {"phone": "0612345678", "slot": slot.value, "reason": ""})
    assert response.status_code == 302
    callback = Callback.objects.get(case=civil_case)
    assert callback.department == departments["etat-civil"]
    page = client.get(url)
    assert "Cancel this callback" in page.content.decode()
    client.post(url, {"cancel": str(callback.pk)})
    callback.refresh_from_db()
    assert callback.status == CallbackStatus.CANCELLED
    assert callback.attempts == 0


def test_the_tracking_callback_page_needs_the_right_organization(
    client, other_town, civil_case, office
):
    url = reverse("portal:tracking_callback", args=[other_town.slug, civil_case.tracking_token])
    assert client.get(url).status_code == 404
    assert client.post(url, {"phone": "0612345678", "slot": "x"}).status_code == 404
    assert Callback.objects.count() == 0


def test_an_agent_schedules_a_callback_from_the_case(
    client, civil_agent, civil_case, departments, office
):
    client.force_login(civil_agent)
    case_page = client.get(reverse("desk:case", args=[civil_case.reference]))
    url = reverse("desk:case_callbacks", args=[civil_case.reference])
    assert url in case_page.content.decode()
    slot = free_slots(departments["etat-civil"])[1]
    response = client.post(url, {"phone": "0612345678", "slot": slot.value, "reason": "rappel"})
    assert response.status_code == 302
    callback = Callback.objects.get()
    assert (callback.booked_via, callback.booked_by) == (BookedVia.DESK, civil_agent)
    listing = client.get(reverse("desk:callbacks")).content.decode()
    assert civil_case.reference in listing


def test_an_agent_records_an_outcome(client, civil_agent, civil_case, departments, office):
    slot = free_slots(departments["etat-civil"])[0]
    callback = do_book_callback(civil_case, phone="0612345678", slot_start=slot.start)
    client.force_login(civil_agent)
    response = client.post(
        reverse("desk:callback_outcome", args=[callback.pk]), {"outcome": "reached", "note": ""}
    )
    assert response.status_code == 302
    callback.refresh_from_db()
    assert (callback.status, callback.attempts) == (CallbackStatus.REACHED, 1)


def test_other_organizations_agents_see_nothing_and_change_nothing(
    client, other_agent, civil_case, departments, office
):
    slot = free_slots(departments["etat-civil"])[0]
    callback = do_book_callback(civil_case, phone="0612345678", slot_start=slot.start)
    client.force_login(other_agent)
    assert (
        client.get(reverse("desk:case_callbacks", args=[civil_case.reference])).status_code == 404
    )
    response = client.post(
        reverse("desk:callback_outcome", args=[callback.pk]), {"outcome": "reached"}
    )
    assert response.status_code == 404
    callback.refresh_from_db()
    assert (callback.status, callback.attempts) == (CallbackStatus.SCHEDULED, 0)
    assert civil_case.reference not in client.get(reverse("desk:callbacks")).content.decode()


def test_an_agent_of_another_department_cannot_record_an_outcome(
    client, roads_agent, civil_case, departments, office
):
    slot = free_slots(departments["etat-civil"])[0]
    callback = do_book_callback(civil_case, phone="0612345678", slot_start=slot.start)
    client.force_login(roads_agent)
    response = client.post(
        reverse("desk:callback_outcome", args=[callback.pk]), {"outcome": "reached"}
    )
    assert response.status_code == 404
    assert Callback.objects.get(pk=callback.pk).status == CallbackStatus.SCHEDULED


def test_the_tracking_page_announces_the_delay(client, town, civil_case):
    from guichet.sla.actions import do_create_policy
    from guichet.sla.policies import due_at_for_case

    do_create_policy(town, name="civil", amount=3, department=civil_case.department)
    civil_case.due_at = due_at_for_case(civil_case)
    civil_case.save()
    html = client.get(
        reverse("portal:tracking", args=[town.slug, civil_case.tracking_token]),
        HTTP_ACCEPT_LANGUAGE="en",
    ).content.decode()
    assert "(3 working days)" in html
