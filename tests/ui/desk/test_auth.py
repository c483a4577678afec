"""Signing in and out; every desk page needs a signed-in member."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _protected_urls(case, citizen) -> list[tuple[str, str]]:
    reference = case.reference
    return [
        ("get", reverse("desk:queue")),
        ("get", reverse("desk:case", args=[reference])),
        ("post", reverse("desk:case_reply", args=[reference])),
        ("post", reverse("desk:case_note", args=[reference])),
        ("post", reverse("desk:case_assign", args=[reference])),
        ("post", reverse("desk:case_transfer", args=[reference])),
        ("post", reverse("desk:case_transition", args=[reference])),
        ("post", reverse("desk:case_priority", args=[reference])),
        ("post", reverse("desk:case_topic", args=[reference])),
        ("get", reverse("desk:citizen", args=[citizen.pk])),
        ("get", reverse("desk:citizen_merge", args=[citizen.pk])),
        ("get", reverse("desk:attachment", args=[1])),
    ]


def test_every_desk_page_sends_anonymous_visitors_to_the_login_page(client, civil_case, citizen):
    for method, url in _protected_urls(civil_case, citizen):
        response = getattr(client, method)(url)
        assert response.status_code == 302, url
        assert response["Location"] == f"{reverse('desk:login')}?next={url}", url


def test_login_page_signs_in_and_goes_to_the_queue(client, civil_agent):
    page = client.get(reverse("desk:login"))
    assert page.status_code == 200
    assert "Sign in to the agent desk" in page.content.decode()

    response = client.post(
        reverse("desk:login"), {"username": "claire", "password": "motdepasse-solide-42"}
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("desk:queue")
    assert client.get(reverse("desk:queue")).status_code == 200


def test_login_with_a_wrong_password_shows_an_error_summary(client, civil_agent):
    response = client.post(reverse("desk:login"), {"username": "claire", "password": "wrong"})

    assert response.status_code == 200
    body = response.content.decode()
    assert 'class="error-summary"' in body
    assert "_auth_user_id" not in client.session


def test_login_follows_next_to_the_page_asked_for(client, civil_agent, civil_case):
    url = reverse("desk:case", args=[civil_case.reference])
    response = client.post(
        f"{reverse('desk:login')}?next={url}",
        {"username": "claire", "password": "motdepasse-solide-42", "next": url},
    )
    assert response["Location"] == url


def test_logout_is_a_post_and_signs_out(client, civil_agent):
    client.force_login(civil_agent)

    assert client.get(reverse("desk:logout")).status_code == 405
    assert "_auth_user_id" in client.session

    response = client.post(reverse("desk:logout"))

    assert response.status_code == 302
    assert response["Location"] == reverse("desk:login")
    assert "_auth_user_id" not in client.session


def test_a_user_without_membership_gets_a_clear_403(client, town, civil_case):
    stranger = UserFactory(username="nobody")
    client.force_login(stranger)

    for url in (reverse("desk:queue"), reverse("desk:case", args=[civil_case.reference])):
        response = client.get(url)
        assert response.status_code == 403
        body = response.content.decode()
        assert "No access to the desk" in body
        assert "not a member of any organization" in body
        assert civil_case.subject not in body


def test_navigation_shows_the_user_logout_and_admin_link_only_for_administrators(
    client, civil_agent, administrator
):
    client.force_login(civil_agent)
    body = client.get(reverse("desk:queue")).content.decode()
    assert str(civil_agent) in body
    assert f'action="{reverse("desk:logout")}"' in body
    assert reverse("admin:index") not in body
    assert "Ville de Villebois" in body  # branding: the user's organization

    client.force_login(administrator)
    body = client.get(reverse("desk:queue")).content.decode()
    assert f'href="{reverse("admin:index")}"' in body
