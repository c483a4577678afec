import pytest

from guichet.audit.models import AuditEntry
from guichet.cases.models import CaseEvent, EventKind
from guichet.citizens.actions import MergeNotAllowed, do_merge_citizens, resolve_citizen
from guichet.citizens.identity import normalise_contact
from guichet.citizens.models import Citizen, CitizenMerge, ContactPoint
from tests.factories import CaseFactory, CitizenFactory, add_email

pytestmark = pytest.mark.django_db


def contacts(*values):
    return [normalise_contact(v) for v in values]


def test_same_address_any_case_is_one_citizen(town):
    first = resolve_citizen(town, contacts("Jeanne@Example.org"), display_name="Jeanne")
    second = resolve_citizen(town, contacts("jeanne@example.ORG"))
    assert first.created is True
    assert second.created is False
    assert second.citizen == first.citizen
    assert second.matched_on == "jeanne@example.org"
    assert Citizen.objects.count() == 1


def test_new_contact_points_are_added_to_the_known_citizen(town):
    first = resolve_citizen(town, contacts("jeanne@example.org"))
    again = resolve_citizen(town, contacts("jeanne@example.org", "06 12 34 56 78"))
    assert again.citizen == first.citizen
    assert sorted(again.citizen.contact_points.values_list("value", flat=True)) == [
        "+33612345678",
        "jeanne@example.org",
    ]
    by_phone = resolve_citizen(town, contacts("+33612345678"))
    assert by_phone.citizen == first.citizen


def test_contact_point_of_someone_else_is_reported_not_stolen(town):
    jeanne = resolve_citizen(town, contacts("jeanne@example.org")).citizen
    paul = resolve_citizen(town, contacts("06 12 34 56 78")).citizen
    result = resolve_citizen(town, contacts("jeanne@example.org", "0612345678"))
    assert result.citizen == jeanne
    assert result.other_owners == {"+33612345678": paul.pk}
    assert ContactPoint.objects.get(value="+33612345678").citizen == paul


def test_organizations_never_share_citizens(town, other_town):
    here = resolve_citizen(town, contacts("jeanne@example.org")).citizen
    there = resolve_citizen(other_town, contacts("jeanne@example.org")).citizen
    assert here != there
    assert there.organization == other_town


def test_merge_moves_everything_and_is_audited(town, supervisor):
    source = CitizenFactory(organization=town, display_name="J. Dupont")
    target = CitizenFactory(organization=town, display_name="Jeanne Dupont")
    add_email(source, "jd@example.org")
    add_email(target, "jeanne@example.org")
    case = CaseFactory(citizen=source)
    merge = do_merge_citizens(
        source, target, actor=supervisor, reason="même personne, vérifié au téléphone"
    )
    source.refresh_from_db()
    case.refresh_from_db()
    assert source.merged_into == target
    assert case.citizen == target
    assert sorted(target.contact_points.values_list("value", flat=True)) == [
        "jd@example.org",
        "jeanne@example.org",
    ]
    assert merge.moved["cases"] == [case.pk]
    assert CitizenMerge.objects.count() == 1
    entry = AuditEntry.objects.get(action="citizen.merged")
    assert entry.actor == supervisor
    assert entry.data["source"] == source.pk
    assert CaseEvent.objects.filter(case=case, kind=EventKind.CITIZEN_MERGED).count() == 1
    # The merged record's address now resolves to the target.
    assert resolve_citizen(town, contacts("jd@example.org")).citizen == target


@pytest.mark.parametrize("who", ["agent", "other_org", "same", "no_reason"])
def test_merge_refusals_change_nothing(who, town, other_town, supervisor, civil_agent):
    source = CitizenFactory(organization=town)
    target = CitizenFactory(organization=other_town if who == "other_org" else town)
    add_email(source, "a@example.org")
    actor = civil_agent if who == "agent" else supervisor
    reason = "" if who == "no_reason" else "doublon"
    with pytest.raises(MergeNotAllowed):
        do_merge_citizens(source, source if who == "same" else target, actor=actor, reason=reason)
    source.refresh_from_db()
    assert source.merged_into is None
    assert CitizenMerge.objects.count() == 0
    assert AuditEntry.objects.count() == 0
    assert ContactPoint.objects.get(value="a@example.org").citizen == source


def test_two_first_messages_at_once_make_one_citizen(town, monkeypatch):
    """The race of two processes seeing a new address at the same time, replayed in one: the
    lookup finds no owner, then the other process attaches the address before this one does."""
    from guichet.citizens import actions

    real_owners = actions._owners
    rival = CitizenFactory(organization=town, display_name="Créé par l'autre processus")

    def owners_then_rival_wins(organization_id, contacts_):
        found = real_owners(organization_id, contacts_)
        if not ContactPoint.objects.filter(value="new.person@example.org").exists():
            add_email(rival, "new.person@example.org")
        return found

    monkeypatch.setattr(actions, "_owners", owners_then_rival_wins)
    result = resolve_citizen(town, contacts("new.person@example.org"))
    assert result.citizen == rival
    assert Citizen.objects.count() == 1
