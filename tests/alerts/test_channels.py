"""Alert channels (spec N7, API row): the API and Manage >> Alerts, their rules, "Send
test" to a real SMTP server and a local HTTP receiver in each format, and the webhook
URL (a secret) never shown back, in answers, pages or logs."""

import logging

import pytest
from django.urls import reverse

from alerts.models import AlertChannel, AlertDelivery
from certlife.models import AuditEvent

pytestmark = pytest.mark.django_db

LIST = "/api/v1/alert-channels/"
SECRET = "XXXXsecretXXXX"
SECRET_PATH = f"/services/T000/B000/{SECRET}"


def detail(pk: int) -> str:
    return f"{LIST}{pk}/"


@pytest.fixture
def admin_api(api_as, administrator):
    return api_as(administrator)


def create(admin_api, **body):
    return admin_api.post(LIST, {"name": "Channel", "enabled": True, **body}, format="json")


def test_an_email_channel_shows_its_addresses(admin_api):
    answer = create(admin_api, kind="email", target="a@example.com, b@example.com\nc@example.com")
    assert answer.status_code == 201, answer.json()
    assert answer.json()["target"] == "a@example.com, b@example.com, c@example.com"
    assert admin_api.get(LIST).json()["results"][0]["kind"] == "email"


def test_a_webhook_url_is_write_only(admin_api, webhook_receiver):
    url = webhook_receiver.url(SECRET_PATH)
    answer = create(admin_api, kind="slack", target=url)
    assert answer.status_code == 201, answer.json()
    shown = answer.json()
    assert "target" not in shown and shown["target_summary"] == "http://127.0.0.1/…"
    channel = AlertChannel.objects.get()
    assert channel.target == url
    for response in (admin_api.get(LIST), admin_api.get(detail(channel.pk))):
        assert SECRET not in response.content.decode()
    # A PATCH without the target (or with it empty) keeps it; another replaces it.
    assert admin_api.patch(detail(channel.pk), {"target": ""}, format="json").status_code == 200
    assert admin_api.patch(detail(channel.pk), {"name": "Ops"}, format="json").status_code == 200
    channel.refresh_from_db()
    assert (channel.name, channel.target) == ("Ops", url)
    new_url = webhook_receiver.url("/other")
    admin_api.patch(detail(channel.pk), {"target": new_url}, format="json")
    channel.refresh_from_db()
    assert channel.target == new_url
    assert admin_api.delete(detail(channel.pk)).status_code == 204
    assert not AlertChannel.objects.exists()
    events = AuditEvent.objects.filter(action__startswith="alert_channel.")
    assert list(events.order_by("pk").values_list("action", flat=True)) == [
        "alert_channel.create", "alert_channel.update", "alert_channel.update",
        "alert_channel.delete",
    ]  # fmt: skip
    assert SECRET not in str(list(events.values_list("detail", flat=True)))


@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        ({"kind": "email", "target": "a@example.com, not-an-address"}, "target", "not an email"),
        ({"kind": "email", "target": " "}, "target", "at least one"),
        ({"kind": "webhook", "target": "http://hooks.example.com/x"}, "target", "https://"),
        ({"kind": "teams", "target": "https://user:pw@example.com/x"}, "target", "user name"),
        ({"kind": "slack", "target": "https://10.0.0.7/hook"}, "target", "private address"),
        ({"kind": "slack", "target": "ftp://example.com/x"}, "target", "http and https"),
        ({"kind": "pager", "target": "https://example.com/x"}, "kind", "not a valid choice"),
        ({"kind": "webhook"}, "target", "required"),
        ({"kind": "email", "target": "a@example.com", "name": ""}, "name", "blank"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(admin_api, body, field, words):
    answer = create(admin_api, **body)
    assert answer.status_code == 400
    assert list(answer.json()) == [field]
    assert words in " ".join(answer.json()[field])
    assert not AlertChannel.objects.exists()


def test_the_kind_of_a_channel_cannot_change(admin_api):
    channel = create(admin_api, kind="email", target="a@example.com").json()
    answer = admin_api.patch(detail(channel["id"]), {"kind": "slack"}, format="json")
    assert answer.status_code == 400 and list(answer.json()) == ["kind"]


def test_http_is_accepted_only_for_an_allowed_private_address(admin_api, settings):
    settings.CERTLIFE_ALLOWED_PRIVATE_NETWORKS = ()
    answer = create(admin_api, kind="webhook", target="http://127.0.0.1:9/hook")
    assert answer.status_code == 400 and "private networks" in answer.json()["target"][0]


def test_send_test_delivers_each_format(
    admin_api, webhook_receiver, smtp_inbox, run_with_tasks, caplog
):
    caplog.set_level(logging.DEBUG)
    ids = {
        kind: create(
            admin_api, kind=kind, target=webhook_receiver.url(f"/{kind}{SECRET_PATH}")
        ).json()["id"]
        for kind in ("webhook", "slack", "teams")
    }
    ids["email"] = create(admin_api, kind="email", target="team@example.com").json()["id"]
    for kind, pk in ids.items():
        answer = run_with_tasks(lambda pk=pk: admin_api.post(f"{detail(pk)}test/"))
        assert answer.status_code == 202 and answer.json()["event"] == "test", kind

    by_kind = {r.path.split("/")[1]: r for r in webhook_receiver.received}
    assert set(by_kind) == {"webhook", "slack", "teams"}
    for received in by_kind.values():
        assert received.headers["Content-Type"] == "application/json"
    generic = by_kind["webhook"].json()
    assert generic == {
        "event": "test",
        "certificate": None,
        "message": generic["message"],
        "url": "http://localhost:8000/manage/alerts/",
    }
    assert "test alert" in generic["message"]
    slack = by_kind["slack"].json()
    assert slack["text"].startswith("certlife test alert: ")
    assert [block["type"] for block in slack["blocks"]] == ["header", "section", "actions"]
    assert slack["blocks"][2]["elements"][0]["url"] == generic["url"]
    teams = by_kind["teams"].json()
    assert teams["type"] == "message"
    (attachment,) = teams["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    card = attachment["content"]
    assert (card["type"], card["version"]) == ("AdaptiveCard", "1.4")
    assert card["body"][0]["text"] == "certlife test alert"
    assert card["actions"][0] == {
        "type": "Action.OpenUrl", "title": "Open in certlife", "url": generic["url"],
    }  # fmt: skip
    assert smtp_inbox.envelopes == [["team@example.com"]]
    assert set(AlertDelivery.objects.values_list("status", flat=True)) == {"sent"}
    last = admin_api.get(detail(ids["slack"])).json()["last_delivery"]
    assert (last["status"], last["attempts"]) == ("sent", 1)
    assert SECRET not in caplog.text


def test_a_failed_test_shows_in_the_api_and_the_page_without_the_url(
    admin_api, client, administrator, run_with_tasks, closed_port, allow_loopback, caplog
):
    caplog.set_level(logging.DEBUG)
    channel = AlertChannel.objects.get(
        pk=create(
            admin_api, kind="teams", target=f"http://127.0.0.1:{closed_port}{SECRET_PATH}"
        ).json()["id"]
    )
    client.force_login(administrator)
    run_with_tasks(lambda: client.post(reverse("alert-channel-test", args=[channel.pk])))
    delivery = AlertDelivery.objects.get()
    assert (delivery.status, delivery.last_error) == (
        "failed",
        "The receiver could not be reached.",
    )
    page = client.get(reverse("alert-channel-list")).content.decode()
    assert "The receiver could not be reached." in page and "Failed" in page
    edit = client.get(reverse("alert-channel-edit", args=[channel.pk])).content.decode()
    api = admin_api.get(detail(channel.pk)).content.decode()
    for text in (page, edit, api, caplog.text):
        assert SECRET not in text


def test_the_page_adds_edits_and_deletes_a_channel(client, administrator, webhook_receiver):
    client.force_login(administrator)
    url = webhook_receiver.url(SECRET_PATH)
    answer = client.post(
        reverse("alert-channel-add"),
        {"name": "Hook", "kind": "webhook", "target": url, "enabled": "on"},
    )
    assert answer.status_code == 302, answer.content.decode()
    channel = AlertChannel.objects.get()
    assert (channel.kind, channel.target, channel.enabled) == ("webhook", url, True)
    # The edit form never shows the URL; an empty one keeps it.
    edit_url = reverse("alert-channel-edit", args=[channel.pk])
    assert SECRET not in client.get(edit_url).content.decode()
    client.post(edit_url, {"name": "Hook 2", "target": ""})
    channel.refresh_from_db()
    assert (channel.name, channel.target, channel.enabled) == ("Hook 2", url, False)
    # A bad value is shown on its input.
    answer = client.post(edit_url, {"name": "Hook 2", "target": "http://example.com/x"})
    assert answer.status_code == 200 and "must start with https://" in answer.content.decode()
    delete_url = reverse("alert-channel-delete", args=[channel.pk])
    assert client.post(delete_url).status_code == 302
    assert not AlertChannel.objects.exists()


def test_the_manage_tabs_show_alerts_to_readers(client, auditor):
    client.force_login(auditor)
    page = client.get(reverse("alert-channel-list")).content.decode()
    assert 'href="/manage/alerts/"' in page
    assert "Add an alert channel" not in page


def test_the_list_filters_by_status_kind_and_name(admin_api):
    create(admin_api, kind="email", target="a@example.com", name="Night shift")
    create(admin_api, kind="email", target="b@example.com", name="Day", enabled=False)
    names = lambda query: [c["name"] for c in admin_api.get(f"{LIST}?{query}").json()["results"]]  # noqa: E731
    assert names("status=enabled") == ["Night shift"]
    assert names("status=disabled&kind=email") == ["Day"]
    assert names("name=night") == ["Night shift"]
    assert names("kind=slack") == []
    assert admin_api.get(f"{LIST}?status=bogus").status_code == 400


@pytest.mark.parametrize(
    ("variable", "value", "expected"),
    [
        ("CERTLIFE_EXPIRY_ALERT_DAYS", "1, 15,7", (15, 7, 1)),
        ("CERTLIFE_EXPIRY_ALERT_DAYS", "15,0", None),
        ("CERTLIFE_EXPIRY_ALERT_DAYS", "two weeks", None),
        ("CERTLIFE_EXPIRY_ALERT_LIFETIME_FRACTIONS", "0.1,0.3", (0.3, 0.1)),
        ("CERTLIFE_EXPIRY_ALERT_LIFETIME_FRACTIONS", "1.5", None),
    ],
)
def test_threshold_settings_are_read_or_refused_naming_the_variable(
    monkeypatch, variable, value, expected
):
    from django.core.exceptions import ImproperlyConfigured

    from certlife.settings import env_positive_numbers

    monkeypatch.setenv(variable, value)
    whole = variable.endswith("_DAYS")
    if expected is None:
        with pytest.raises(ImproperlyConfigured, match=variable):
            env_positive_numbers(variable, default="15", whole=whole)
    else:
        assert env_positive_numbers(variable, default="15", whole=whole) == expected
