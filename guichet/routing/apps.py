from django.apps import AppConfig


class RoutingConfig(AppConfig):
    name = "guichet.routing"
    label = "routing"
