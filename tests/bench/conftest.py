"""Fixtures of the performance tests: a twin of the `town` fixture, so the same messages can be
received one by one by one organization and in a batch by the other, and the results compared."""

import pytest

from tests.factories import DepartmentFactory, OrganizationFactory, TopicFactory


@pytest.fixture
def twin_town(town):
    """An organization set up exactly like `town` (departments, topics, reception department)."""
    twin = OrganizationFactory(
        name="Ville Jumelle",
        slug="jumelle",
        reference_prefix="JUM",
        email_address="mairie@jumelle.fr",
    )
    departments = {
        d.slug: DepartmentFactory(
            organization=twin, name=d.name, slug=d.slug, email_address=d.email_address
        )
        for d in town.departments.order_by("pk")
    }
    twin.default_department = departments[town.default_department.slug]
    twin.save()
    for topic in town.topics.order_by("pk"):
        TopicFactory(
            organization=twin,
            department=departments[topic.department.slug],
            name=topic.name,
            slug=topic.slug,
            keywords=topic.keywords,
        )
    return twin
