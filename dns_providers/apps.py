from django.apps import AppConfig


class DnsProvidersConfig(AppConfig):
    name = "dns_providers"
    verbose_name = "DNS accounts"
