"""`guichet apitoken create|list|revoke`."""

from __future__ import annotations

import re
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from guichet.audit.models import AuditEntry
from guichet.organizations.models import ApiToken


def run(*args):
    out, err = StringIO(), StringIO()
    call_command("apitoken", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.mark.django_db
def test_create_prints_the_token_alone_on_stdout(town, other_town):
    out, err = run("create", "Passerelle SMS", "--organization", "villebois")

    plain = out.strip()
    assert out == plain + "\n"
    token = ApiToken.authenticate(plain)
    assert token is not None
    assert token.name == "Passerelle SMS"
    assert token.organization == town
    assert plain.startswith(f"gch_{token.key_id}_")
    assert plain not in err
    assert "will not be shown again" in err
    assert token.secret_hash not in out
    assert (
        AuditEntry.objects.filter(action="apitoken.created", object_id=str(token.pk)).count() == 1
    )


@pytest.mark.django_db
def test_organization_may_be_omitted_when_there_is_only_one(town):
    out, _err = run("create", "CRM")

    assert ApiToken.authenticate(out.strip()).organization == town


@pytest.mark.django_db
def test_organization_is_required_when_there_are_several(town, other_town):
    with pytest.raises(CommandError) as error:
        run("create", "CRM")

    assert str(error.value) == (
        "Several organizations exist; choose one with --organization: montval, villebois"
    )
    assert ApiToken.objects.count() == 0


@pytest.mark.django_db
def test_unknown_organization_lists_the_known_ones(town, other_town):
    with pytest.raises(CommandError) as error:
        run("create", "CRM", "--organization", "paris")

    assert (
        str(error.value) == "No organization with the short name 'paris'; known: montval, villebois"
    )


@pytest.mark.django_db
def test_no_organization_at_all():
    with pytest.raises(CommandError) as error:
        run("create", "CRM")

    assert str(error.value) == "No organization exists yet: create one first (in the admin)."


@pytest.mark.django_db
def test_duplicate_name_is_refused(town):
    run("create", "CRM")

    with pytest.raises(CommandError) as error:
        run("create", "CRM")

    assert str(error.value) == (
        "A token named 'CRM' already exists for 'villebois' (revoked tokens keep their name);"
        " choose another name."
    )
    assert ApiToken.objects.count() == 1


@pytest.mark.django_db
def test_same_name_in_another_organization_is_fine(town, other_town):
    run("create", "CRM", "--organization", "villebois")
    run("create", "CRM", "--organization", "montval")

    assert ApiToken.objects.filter(name="CRM").count() == 2


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("  ", "The token needs a name, e.g. 'SMS gateway'."),
        ("x" * 101, "The name is too long: at most 100 characters."),
    ],
)
def test_bad_name_is_refused(town, name, message):
    with pytest.raises(CommandError) as error:
        run("create", name)

    assert str(error.value) == message
    assert ApiToken.objects.count() == 0


@pytest.mark.django_db
def test_list_shows_tokens_without_their_secret(town, other_town):
    crm, crm_plain = ApiToken.issue(town, "CRM")
    sms, _sms_plain = ApiToken.issue(other_town, "SMS")
    sms.revoked_at = timezone.now()
    sms.save()

    out, _err = run("list")

    rows = [re.split(r"\s{2,}", line) for line in out.splitlines()]
    assert rows[0] == ["ORGANIZATION", "NAME", "TOKEN", "CREATED", "LAST USED", "STATUS"]
    assert len(rows) == 3
    assert rows[1][:3] == ["montval", "SMS", f"gch_{sms.key_id}_…"]
    assert rows[1][4] == "never"
    assert rows[1][5].startswith("revoked 20")
    assert rows[2][:3] == ["villebois", "CRM", f"gch_{crm.key_id}_…"]
    assert rows[2][4:] == ["never", "active"]
    assert crm_plain not in out


@pytest.mark.django_db
def test_list_of_one_organization(town, other_town):
    ApiToken.issue(town, "CRM")
    ApiToken.issue(other_town, "SMS")

    out, _err = run("list", "--organization", "montval")

    assert len(out.splitlines()) == 2
    assert "SMS" in out
    assert "CRM" not in out


@pytest.mark.django_db
def test_list_without_tokens(town):
    out, err = run("list")

    assert out == ""
    assert err == "No API tokens.\n"


@pytest.mark.django_db
def test_revoke_stops_the_token(town):
    token, plain = ApiToken.issue(town, "CRM")

    out, _err = run("revoke", "CRM")

    assert out == "Token 'CRM' of 'villebois' revoked: it no longer works.\n"
    assert ApiToken.authenticate(plain) is None
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert (
        AuditEntry.objects.filter(action="apitoken.revoked", object_id=str(token.pk)).count() == 1
    )


@pytest.mark.django_db
def test_revoke_unknown_name_lists_the_tokens(town):
    ApiToken.issue(town, "CRM")

    with pytest.raises(CommandError) as error:
        run("revoke", "SMS")

    assert str(error.value) == "No token named 'SMS' in 'villebois'; its tokens: 'CRM'."


@pytest.mark.django_db
def test_revoke_twice_is_refused(town):
    ApiToken.issue(town, "CRM")
    run("revoke", "CRM")

    with pytest.raises(CommandError) as error:
        run("revoke", "CRM")

    assert str(error.value).startswith("The token 'CRM' was already revoked on ")


@pytest.mark.django_db
def test_revoke_only_touches_the_named_organization(town, other_town):
    _mine, mine_plain = ApiToken.issue(town, "CRM")
    _theirs, theirs_plain = ApiToken.issue(other_town, "CRM")

    run("revoke", "CRM", "--organization", "montval")

    assert ApiToken.authenticate(mine_plain) is not None
    assert ApiToken.authenticate(theirs_plain) is None


@pytest.mark.django_db
def test_an_action_is_required(town):
    with pytest.raises(CommandError) as error:
        run()

    assert "create,list,revoke" in str(error.value)
