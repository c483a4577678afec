from django.apps import AppConfig


class ChannelsConfig(AppConfig):
    name = "guichet.channels"
    label = "channels"

    def ready(self) -> None:
        from guichet.channels.base import registry
        from guichet.channels.email.adapter import EmailAdapter
        from guichet.channels.portal.adapter import PortalAdapter
        from guichet.channels.relay import IntegrationRelayAdapter

        registry.register(EmailAdapter())
        registry.register(PortalAdapter())
        registry.register(IntegrationRelayAdapter(), fallback=True)

        from guichet.channels.email.providers import connect_signals

        connect_signals()
