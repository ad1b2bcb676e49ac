"""GET /api/v1/deployments/ and POST .../{id}/retry/ (docs/features.md V6, V11), and the
retry button of the certificate page. The deployments are made here; the deploy itself
is tested against real servers in test_deploy_e2e.py."""

from datetime import timedelta

import pytest
from django.contrib.auth.context_processors import PermWrapper
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.utils import timezone

from agents.choices import DeploymentStatus
from agents.models import Deployment
from agents.tasks import deploy_certificate, resume_stalled_deployments
from certlife.celery import app
from certlife.models import AuditEvent
from tests.factories import make_failed_deployment, make_repository_certificate

pytestmark = pytest.mark.django_db

FIELDS = {
    "id",
    "certificate",
    "version",
    "mapping",
    "host",
    "status",
    "served_serial",
    "output",
    "started_at",
    "finished_at",
}


@pytest.fixture
def failed():
    return make_failed_deployment(make_repository_certificate(["shop.example.com"]))


@pytest.fixture
def succeeded():
    certificate = make_repository_certificate(["blog.example.com"])
    deployment = make_failed_deployment(certificate)
    serial = certificate.current_version.serial_number
    Deployment.objects.filter(pk=deployment.pk).update(
        status=DeploymentStatus.SUCCEEDED, served_serial=serial, error=""
    )
    return Deployment.objects.get(pk=deployment.pk)


def test_the_deployments_of_a_certificate_as_the_contract_says(api_as, auditor, failed, succeeded):
    response = api_as(auditor).get(f"/api/v1/deployments/?certificate={succeeded.certificate_id}")
    assert response.status_code == 200
    [answer] = response.json()["results"]
    assert set(answer) == FIELDS
    assert answer["id"] == succeeded.pk
    assert answer["certificate"] == succeeded.certificate_id
    assert answer["version"] == succeeded.version_id
    assert answer["mapping"] == succeeded.mapping_id
    assert answer["host"] == "192.0.2.10"
    assert answer["status"] == "succeeded"
    assert answer["served_serial"] == succeeded.certificate.current_version.serial_number
    # A failed one has no served serial yet: null, not "".
    failed_answer = api_as(auditor).get(f"/api/v1/deployments/?certificate={failed.certificate_id}")
    assert failed_answer.json()["results"][0]["served_serial"] is None


def test_the_list_filters_by_status_and_name(api_as, auditor, failed, succeeded):
    client = api_as(auditor)
    by_status = client.get("/api/v1/deployments/?status=failed").json()["results"]
    assert [item["id"] for item in by_status] == [failed.pk]
    by_name = client.get("/api/v1/deployments/?name=blog.example").json()["results"]
    assert [item["id"] for item in by_name] == [succeeded.pk]
    assert client.get("/api/v1/deployments/").json()["count"] == 2


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("status=broken", "status"),
        ("certificate=abc", "certificate"),
        ("certificate=0", "certificate"),
    ],
)
def test_a_bad_filter_is_a_400_naming_it(api_as, auditor, query, field):
    response = api_as(auditor).get(f"/api/v1/deployments/?{query}")
    assert response.status_code == 400
    assert list(response.json()) == [field]


def test_retry_runs_a_failed_deployment_again(
    api_as, operator, failed, monkeypatch, django_capture_on_commit_callbacks
):
    sent = []
    monkeypatch.setattr("agents.tasks.deploy_certificate.delay", sent.append)
    with django_capture_on_commit_callbacks(execute=True):
        response = api_as(operator).post(f"/api/v1/deployments/{failed.pk}/retry/")
    assert response.status_code == 200
    assert sent == [failed.pk]
    assert response.json()["status"] == "pending"
    assert response.json()["output"] == ""
    failed.refresh_from_db()
    assert failed.status == DeploymentStatus.PENDING and failed.error == ""
    assert failed.requested_by == operator
    event = AuditEvent.objects.get(action="deployment.retry")
    assert (event.actor, event.target_id) == (operator, str(failed.pk))


def test_retry_refuses_what_must_not_be_sent_again(api_as, operator, failed, succeeded):
    client = api_as(operator)
    answer = client.post(f"/api/v1/deployments/{succeeded.pk}/retry/")
    assert answer.status_code == 400
    assert "Only a failed or rolled-back deployment" in answer.json()["status"][0]

    certificate = failed.certificate
    certificate.status = "revoked"
    certificate.save()
    answer = client.post(f"/api/v1/deployments/{failed.pk}/retry/")
    assert answer.status_code == 400
    assert "revoked" in answer.json()["status"][0]

    certificate.status = "active"
    certificate.save()
    newer = make_repository_certificate(["shop.example.com"]).current_version
    newer.certificate = certificate
    newer.save()
    certificate.current_version = newer
    certificate.save()
    answer = client.post(f"/api/v1/deployments/{failed.pk}/retry/")
    assert answer.status_code == 400
    assert "newer version" in answer.json()["status"][0]
    assert not AuditEvent.objects.filter(action="deployment.retry").exists()


def test_the_certificate_page_part_lists_deployments_with_retry(client, operator, auditor, failed):
    def rendered(user) -> str:
        request = RequestFactory().get(f"/certificates/{failed.certificate_id}/")
        request.user = user
        context = {"certificate": failed.certificate, "perms": PermWrapper(user)}
        return render_to_string("agents/_deployments.html", context, request=request)

    page = rendered(operator)
    assert "192.0.2.10" in page and "The reload failed (exit status 1)." in page
    assert f"/certificates/deployments/{failed.pk}/retry/" in page
    assert "/retry/" not in rendered(auditor)  # auditors read, never retry

    client.force_login(operator)
    next_page = "/certificates/?name=shop"
    response = client.post(
        f"/certificates/deployments/{failed.pk}/retry/", {"next": next_page}, follow=False
    )
    assert response.status_code == 302 and response["Location"] == next_page
    failed.refresh_from_db()
    assert failed.status == DeploymentStatus.PENDING
    # Elsewhere than this site is never where the button leads.
    response = client.post(
        f"/certificates/deployments/{failed.pk}/retry/", {"next": "https://evil.example/"}
    )
    assert response["Location"] == "/certificates/"


def test_a_deployment_overtaken_by_a_newer_version_is_not_sent(failed):
    """A renewal saved while an older version's deployment waited: the older one must not
    overwrite the newer files (no server is needed: it stops before connecting)."""
    certificate = failed.certificate
    newer = make_repository_certificate(["shop.example.com"]).current_version
    newer.certificate = certificate
    newer.save()
    certificate.current_version = newer
    certificate.save()
    Deployment.objects.filter(pk=failed.pk).update(status=DeploymentStatus.PENDING)

    deploy_certificate(failed.pk)

    failed.refresh_from_db()
    assert failed.status == DeploymentStatus.FAILED
    assert "A newer version of the certificate was saved" in failed.error
    assert not AuditEvent.objects.filter(action="certificate.deploy").exists()


def test_lost_and_stalled_ssh_deployments_are_sent_again(failed, monkeypatch):
    sent = []
    monkeypatch.setattr("agents.tasks.deploy_certificate.delay", sent.append)
    now = timezone.now()
    certificate = failed.certificate
    version, mapping = failed.version, failed.mapping

    def deployment(status, **times):
        made = Deployment.objects.create(
            certificate=certificate, version=version, mapping=mapping, host="h", status=status
        )
        Deployment.objects.filter(pk=made.pk).update(**times)
        return made.pk

    lost = deployment("pending", created_at=now - timedelta(minutes=6))
    deployment("pending", created_at=now - timedelta(minutes=1))  # its message is on its way
    dead = deployment("running", started_at=now - timedelta(minutes=16))
    deployment("running", started_at=now - timedelta(minutes=2))  # still working
    deployment("succeeded", started_at=now - timedelta(hours=2))

    resume_stalled_deployments()

    assert sorted(sent) == sorted([lost, dead])
    beat = {entry["task"] for entry in app.conf.beat_schedule.values()}
    assert "agents.tasks.resume_stalled_deployments" in beat
