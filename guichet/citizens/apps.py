from django.apps import AppConfig


class CitizensConfig(AppConfig):
    name = "guichet.citizens"
    label = "citizens"
