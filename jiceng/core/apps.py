from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "jiceng.core"
    label = "core"
