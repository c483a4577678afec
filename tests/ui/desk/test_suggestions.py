"""The case page's "Suggestions" panel: templates filled for the case and articles for the
citizen's latest message, inserted into the reply box in one click; never another
organization's content."""

from __future__ import annotations

import pytest
from django.urls import reverse

from guichet.knowledge.actions import import_rows

pytestmark = pytest.mark.django_db


def suggestions_url(case):
    return reverse("desk:case_suggestions", args=[case.reference])


def insert_url(case):
    return reverse("desk:case_suggestion_insert", args=[case.reference])


def test_the_case_page_loads_the_panel(client, civil_agent, email_case):
    client.force_login(civil_agent)

    page = client.get(reverse("desk:case", args=[email_case.reference])).content.decode()

    assert f'hx-get="{suggestions_url(email_case)}" hx-trigger="load"' in page


def test_templates_and_articles_fit_the_latest_message(client, civil_agent, email_case, knowledge):
    client.force_login(civil_agent)

    response = client.get(suggestions_url(email_case), HTTP_HX_REQUEST="true")

    page = response.content.decode()
    assert response.status_code == 200
    assert page.count('class="suggestion"') == 2
    assert "Voirie : intervention" not in page  # shares only "Bonjour" with the message
    assert (
        "Bonjour Jeanne Dupont,<br>Votre acte de naissance (demande "
        f"{email_case.reference})" in page
    )
    assert "Acte de naissance : demande de copie intégrale ou d&#x27;extrait" in page
    assert "Montval" not in page
    assert "{{" not in page


def test_insert_adds_the_filled_template_after_the_draft(
    client, civil_agent, email_case, knowledge
):
    client.force_login(civil_agent)
    template = knowledge["birth_template"]

    response = client.post(
        insert_url(email_case),
        {"kind": "template", "pk": template.pk, "reply-text": "Madame,"},
        HTTP_HX_REQUEST="true",
    )

    page = response.content.decode()
    assert response.status_code == 200
    assert page.startswith('<textarea name="reply-text"')
    assert 'id="id_reply-text"' in page
    assert "autofocus" in page
    assert (
        f"Madame,\n\nBonjour Jeanne Dupont,\nVotre acte de naissance (demande {email_case.reference})"
        in page
    )
    assert f"{civil_agent}, Ville de Villebois</textarea>" in page


def test_insert_of_an_article_adds_its_excerpt_and_portal_link(
    client, civil_agent, email_case, knowledge
):
    client.force_login(civil_agent)
    article = knowledge["birth"]

    response = client.post(
        insert_url(email_case), {"kind": "article", "pk": article.pk}, HTTP_HX_REQUEST="true"
    )

    page = response.content.decode()
    link = f"http://testserver/portail/villebois/aide/articles/{article.pk}/"
    assert f"{link}</textarea>" in page
    assert "Où s&#x27;adresser ?" in page


def test_another_organizations_template_cannot_be_inserted(
    client, civil_agent, email_case, knowledge
):
    client.force_login(civil_agent)

    response = client.post(
        insert_url(email_case),
        {"kind": "template", "pk": knowledge["foreign_template"].pk},
        HTTP_HX_REQUEST="true",
    )

    assert response.status_code == 404


def test_bad_input_is_a_400(client, civil_agent, email_case, knowledge):
    client.force_login(civil_agent)

    response = client.post(
        insert_url(email_case), {"kind": "virus", "pk": "x"}, HTTP_HX_REQUEST="true"
    )

    assert response.status_code == 400


def test_agents_of_another_department_or_organization_get_nothing(
    client, roads_agent, other_agent, email_case, knowledge
):
    for agent in (roads_agent, other_agent):
        client.force_login(agent)
        assert client.get(suggestions_url(email_case)).status_code == 404
        assert (
            client.post(
                insert_url(email_case),
                {"kind": "template", "pk": knowledge["birth_template"].pk},
                HTTP_HX_REQUEST="true",
            ).status_code
            == 404
        )


def test_without_knowledge_the_panel_says_so(client, civil_agent, email_case):
    client.force_login(civil_agent)

    page = client.get(suggestions_url(email_case)).content.decode()

    assert "No reply template fits this message." in page
    assert "No article fits this message." in page


def test_the_panel_query_count_does_not_grow_with_the_knowledge_base(
    client, civil_agent, email_case, knowledge, town, django_assert_num_queries
):
    client.force_login(civil_agent)
    client.get(suggestions_url(email_case))  # the index is built once per process

    with django_assert_num_queries(12):
        client.get(suggestions_url(email_case))

    rows = [
        (n, {"id": f"a{n}", "title": f"Acte de naissance {n}", "text": "acte de naissance extrait"})
        for n in range(30)
    ]
    rows += [
        (n, {"kind": "template", "id": f"t{n}", "name": f"Acte {n}", "body": "acte de naissance"})
        for n in range(30)
    ]
    import_rows(rows, organization=town)
    client.get(suggestions_url(email_case))

    with django_assert_num_queries(12):
        page = client.get(suggestions_url(email_case)).content.decode()
    assert page.count('class="suggestion"') == 6, page


def test_templates_of_the_case_topic_come_first(client, civil_agent, email_case, knowledge, town):
    assert email_case.topic.slug == "acte-naissance"
    import_rows(
        [
            (
                1,
                {
                    "kind": "template",
                    "id": "generic",
                    "name": "Demande d'extrait d'acte de naissance",
                    "body": "Bonjour, votre demande d'extrait d'acte de naissance. Cordialement.",
                },
            )
        ],
        organization=town,
    )
    client.force_login(civil_agent)

    page = client.get(suggestions_url(email_case)).content.decode()

    assert page.index("Acte de naissance : envoi") < page.index("Demande d&#x27;extrait")


def test_an_unknown_citizen_name_is_filled_politely(client, civil_agent, make_case, knowledge):
    from tests.factories import CitizenFactory

    case = make_case(
        "etat-civil",
        citizen=CitizenFactory(
            organization=civil_agent.memberships.get().organization, display_name=""
        ),
        subject="Acte de naissance",
    )
    client.force_login(civil_agent)

    response = client.post(
        insert_url(case),
        {"kind": "template", "pk": knowledge["birth_template"].pk},
        HTTP_HX_REQUEST="true",
    )

    assert "\nBonjour Madam, Sir,\nVotre acte" in response.content.decode()
