from django.apps import AppConfig


class LiveConfig(AppConfig):
    name = "guichet.live"
    label = "live"
    verbose_name = "Live events"
