"""factory_boy factories for the domain models."""

from __future__ import annotations

import factory
from django.utils import timezone

from guichet.cases.models import Case
from guichet.cases.references import next_reference
from guichet.citizens.models import Citizen, ContactKind, ContactPoint
from guichet.organizations.models import Department, Membership, Organization, Role, Topic, User


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization

    name = factory.Sequence(lambda n: f"Ville {n}")
    slug = factory.Sequence(lambda n: f"ville-{n}")
    reference_prefix = factory.Sequence(
        lambda n: "V" + "".join(chr(65 + int(d)) for d in f"{n:03d}")
    )
    email_address = factory.LazyAttribute(lambda o: f"contact@{o.slug}.fr")


class DepartmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Department

    organization = factory.SubFactory(OrganizationFactory)
    name = factory.Sequence(lambda n: f"Service {n}")
    slug = factory.Sequence(lambda n: f"service-{n}")


class TopicFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Topic

    organization = factory.LazyAttribute(lambda o: o.department.organization)
    department = factory.SubFactory(DepartmentFactory)
    name = factory.Sequence(lambda n: f"Motif {n}")
    slug = factory.Sequence(lambda n: f"motif-{n}")
    keywords = ""


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"agent{n}")
    first_name = "Camille"
    last_name = factory.Sequence(lambda n: f"Agent{n}")
    password = factory.PostGenerationMethodCall("set_password", "motdepasse-solide-42")

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


def make_member(
    organization: Organization,
    *,
    role: str = Role.AGENT,
    departments: list[Department] | tuple[Department, ...] = (),
    **user_fields: object,
) -> User:
    user = UserFactory(**user_fields)
    membership = Membership.objects.create(user=user, organization=organization, role=role)
    membership.departments.set(departments)
    return user


class CitizenFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Citizen

    organization = factory.SubFactory(OrganizationFactory)
    display_name = factory.Sequence(lambda n: f"Usager {n}")


def add_email(citizen: Citizen, address: str) -> ContactPoint:
    return ContactPoint.objects.create(
        organization=citizen.organization, citizen=citizen, kind=ContactKind.EMAIL, value=address
    )


class CaseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Case

    organization = factory.LazyAttribute(lambda o: o.citizen.organization)
    citizen = factory.SubFactory(CitizenFactory)
    reference = factory.LazyAttribute(lambda o: next_reference(o.organization))
    subject = "Demande de test"
    channel = "portal"
    created_at = factory.LazyFunction(timezone.now)
