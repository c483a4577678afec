from django.apps import AppConfig


class AssistConfig(AppConfig):
    name = "guichet.assist"
    label = "assist"
