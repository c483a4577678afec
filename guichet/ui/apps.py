from django.apps import AppConfig


class UiConfig(AppConfig):
    name = "guichet.ui"
    label = "ui"
