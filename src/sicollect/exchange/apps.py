from django.apps import AppConfig


class ExchangeConfig(AppConfig):
    name = "sicollect.exchange"
    label = "exchange"
