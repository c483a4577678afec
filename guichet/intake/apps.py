from django.apps import AppConfig


class IntakeConfig(AppConfig):
    name = "guichet.intake"
    label = "intake"
