"""Impossible identifiers in URLs end in a 404, never in a database error."""

import pytest


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path",
    [
        "/portail/villebois/suivi/abc%00def/",
        "/desk/demandes/VIL%00/",
        "/portail/villebois/suivi/a%20b/",
    ],
)
def test_impossible_references_and_tokens_are_404_not_500(client, town, civil_agent, path):
    client.force_login(civil_agent)
    assert client.get(path).status_code == 404
