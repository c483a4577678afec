from django.apps import AppConfig


class OrganizationsConfig(AppConfig):
    name = "guichet.organizations"
    label = "organizations"
