import pytest
from django.apps import apps
from django.contrib import admin

from certlife.encryption import encrypted_fields

pytestmark = pytest.mark.django_db

PROJECT_APPS = {"certlife", "accounts", "acme_orders", "dns_providers", "agents"}


def test_every_model_is_in_django_admin():
    missing = [
        model._meta.label
        for model in apps.get_models()
        if model._meta.app_label in PROJECT_APPS
        and model not in admin.site._registry
        and not any(
            inline.model is model
            for model_admin in admin.site._registry.values()
            for inline in model_admin.inlines
        )
    ]
    assert missing == []


@pytest.mark.parametrize(
    ("model", "field"), [(m, f) for m, f in encrypted_fields()], ids=lambda item: str(item)
)
def test_secret_fields_never_reach_an_admin_form(rf, administrator, model, field):
    model_admin = admin.site._registry[model]
    request = rf.get("/")
    request.user = administrator
    assert field.name not in model_admin.get_fields(request)
    assert field.name not in (model_admin.list_display or [])
