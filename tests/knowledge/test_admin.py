"""Knowledge in the scoped admin: administrators edit their organization's items, read the shared
library, never see another organization's items."""

from __future__ import annotations

import pytest
from django.test import Client

from guichet.knowledge.models import Article, ReplyTemplate

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(administrator):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(administrator)
    return client


def test_the_list_shows_own_and_shared_articles_never_another_organizations(
    admin_client, knowledge
):
    page = admin_client.get("/admin/knowledge/article/").content.decode()

    assert "Acte de naissance : demande de copie" in page
    assert "Carte électorale" in page
    assert "Montval : acte de naissance en ligne" not in page
    foreign = knowledge["foreign"].pk
    assert admin_client.get(f"/admin/knowledge/article/{foreign}/change/").status_code == 302


def test_shared_articles_are_read_only(admin_client, knowledge):
    shared = knowledge["electoral"]
    url = f"/admin/knowledge/article/{shared.pk}/change/"

    page = admin_client.get(url)
    posted = admin_client.post(url, {"title": "Modifié", "body": "Modifié", "audience": "tous"})

    assert page.status_code == 200
    assert 'name="title"' not in page.content.decode()  # shown, not editable
    assert posted.status_code == 403
    shared.refresh_from_db()
    assert shared.title == "Carte électorale"


def test_a_template_with_an_unknown_variable_is_refused_in_the_form(admin_client, town):
    response = admin_client.post(
        "/admin/knowledge/replytemplate/add/",
        {
            "organization": town.pk,
            "name": "Essai",
            "body": "Bonjour {{ prenom }}",
            "is_active": "on",
        },
    )

    assert response.status_code == 200
    assert "Unknown variables: {{ prenom }}." in response.content.decode()
    assert ReplyTemplate.objects.count() == 0


def test_an_administrator_adds_a_template_to_their_organization(admin_client, town):
    response = admin_client.post(
        "/admin/knowledge/replytemplate/add/",
        {
            "organization": town.pk,
            "name": "Accusé",
            "body": "Bonjour {{ citizen_name }}",
            "is_active": "on",
            "topics": [town.topics.get(slug="acte-naissance").pk],
        },
    )

    assert response.status_code == 302
    template = ReplyTemplate.objects.get()
    assert (template.organization, template.library) == (town, None)


def test_topics_of_another_organization_are_refused(admin_client, town, other_town):
    from tests.factories import TopicFactory

    foreign_topic = TopicFactory(department=other_town.departments.get())

    response = admin_client.post(
        "/admin/knowledge/article/add/",
        {
            "organization": town.pk,
            "title": "Intrus",
            "body": "Texte",
            "audience": "tous",
            "topics": [foreign_topic.pk],
        },
    )

    assert response.status_code == 200
    assert not Article.objects.filter(title="Intrus").exists()


def test_libraries_are_managed_by_the_platform_only(admin_client, knowledge):
    assert admin_client.get("/admin/knowledge/library/").status_code == 403
