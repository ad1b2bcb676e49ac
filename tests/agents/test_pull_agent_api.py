"""Pull agents on the server (docs/features.md V4): tokens stored hashed and shown once,
revocation, the package, the agents' own job API and the Windows Agent page."""

import base64
import io
import json
import zipfile

import pytest
from django.test import Client
from rest_framework.test import APIClient

from agents import agent_jobs
from agents.models import Agent, AgentJob, AgentMapping
from agents.tokens import token_hash

pytestmark = pytest.mark.django_db


def agent_client(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


@pytest.fixture
def created(api_as, administrator):
    answer = api_as(administrator).post("/api/v1/agents/", {"name": "iis-1"}, format="json")
    assert answer.status_code == 201, answer.content
    return answer.json()


def test_the_token_is_shown_once_and_only_its_hash_is_kept(created, api_as, auditor):
    token = created["token"]
    agent = Agent.objects.get(pk=created["id"])
    assert agent.token_hash == token_hash(token) and token not in agent.token_hash
    assert agent.token_prefix == token[:12]
    listed = api_as(auditor).get("/api/v1/agents/").json()["results"]
    assert listed == [
        {"id": agent.pk, "name": "iis-1", "last_seen_at": None, "revoked": False}
    ]  # fmt: skip


def test_an_agent_polls_with_its_token_and_is_seen(created):
    answer = agent_client(created["token"]).get("/api/v1/agent/jobs/")
    assert answer.status_code == 200 and answer.json() == {"jobs": []}
    assert Agent.objects.get(pk=created["id"]).last_seen_at is not None


@pytest.mark.parametrize(
    "header",
    ["Bearer cla_wrong", "Bearer ", "Bearer a b", "Token cla_x", "bearer " + "x" * 500, ""],
)
def test_unknown_or_malformed_tokens_get_401_and_nothing(created, header):
    client = APIClient()
    if header:
        client.credentials(HTTP_AUTHORIZATION=header)
    answer = client.get("/api/v1/agent/jobs/")
    assert answer.status_code == 401
    assert "jobs" not in answer.json()


def test_a_revoked_token_gets_401_and_its_jobs_are_not_sent(created, api_as, administrator):
    agent = Agent.objects.get(pk=created["id"])
    mapping = AgentMapping.objects.create(kind="windows", domain="a.example.com", agent=agent)
    agent_jobs.queue_publish(mapping, domain="a.example.com", token="tok", content="tok.x")
    revoked = api_as(administrator).post(f"/api/v1/agents/{agent.pk}/revoke/")
    assert revoked.status_code == 200 and revoked.json()["revoked"] is True
    answer = agent_client(created["token"]).get("/api/v1/agent/jobs/")
    assert answer.status_code == 401
    assert AgentJob.objects.get().status == "failed"
    package = api_as(administrator).get(f"/api/v1/agents/{agent.pk}/package/")
    assert package.status_code == 400 and "revoked" in package.json()["agent"][0]


def test_jobs_are_sent_once_and_results_are_kept(created):
    agent = Agent.objects.get(pk=created["id"])
    mapping = AgentMapping.objects.create(
        kind="windows", domain="a.example.com", agent=agent, web_root="C:\\inetpub\\wwwroot"
    )
    job = agent_jobs.queue_publish(mapping, domain="a.example.com", token="tok", content="tok.x")
    assert agent_jobs.publish_problem(mapping, "tok").startswith(
        "the pull agent iis-1 has not published the token yet"
    )
    client = agent_client(created["token"])
    assert client.get("/api/v1/agent/jobs/").json() == {
        "jobs": [
            {"id": job.pk, "kind": "publish-http01", "domain": "a.example.com",
             "web_root": "C:\\inetpub\\wwwroot", "token": "tok", "content": "tok.x"}
        ]
    }  # fmt: skip
    assert client.get("/api/v1/agent/jobs/").json() == {"jobs": []}  # sent, not resent at once
    bad = client.post(f"/api/v1/agent/jobs/{job.pk}/result/", {"status": "maybe"}, format="json")
    assert bad.status_code == 400 and "status" in bad.json()
    done = client.post(
        f"/api/v1/agent/jobs/{job.pk}/result/",
        {"status": "succeeded", "output": "ok"},
        format="json",
    )
    assert done.json() == {"id": job.pk, "status": "succeeded"}
    assert agent_jobs.publish_problem(mapping, "tok") is None
    # Another agent cannot see or report this agent's jobs.
    other = Agent.objects.create(name="other", token_hash="-", token_prefix="-")
    other_token = _fresh_token(other)
    missing = agent_client(other_token).post(
        f"/api/v1/agent/jobs/{job.pk}/result/", {"status": "failed"}, format="json"
    )
    assert missing.status_code == 404


def _fresh_token(agent) -> str:
    from agents.tokens import set_new_token

    token = set_new_token(agent)
    agent.save()
    return token


def test_a_failed_publish_stops_the_wait_with_the_agents_reason(created):
    agent = Agent.objects.get(pk=created["id"])
    mapping = AgentMapping.objects.create(kind="windows", domain="a.example.com", agent=agent)
    job = agent_jobs.queue_publish(mapping, domain="a.example.com", token="tok", content="tok.x")
    agent_jobs.record_result(job, succeeded=False, output="", error="disk full")
    with pytest.raises(agent_jobs.CannotPublish, match="could not publish the token: disk full"):
        agent_jobs.publish_problem(mapping, "tok")


def test_the_package_rotates_the_token(created, api_as, administrator, settings):
    settings.CERTLIFE_BASE_URL = "https://certlife.example.net"
    package = api_as(administrator).get(f"/api/v1/agents/{created['id']}/package/")
    assert package.status_code == 200 and package["Cache-Control"] == "no-store"
    with zipfile.ZipFile(io.BytesIO(package.content)) as archive:
        config = json.loads(archive.read("certlife-agent/certlife-agent.json"))
        source = archive.read("certlife-agent/certlife_agent.py").decode()
    assert config["server_url"] == "https://certlife.example.net"
    assert "import django" not in source and "def main(" in source
    assert agent_client(created["token"]).get("/api/v1/agent/jobs/").status_code == 401
    assert agent_client(config["token"]).get("/api/v1/agent/jobs/").status_code == 200


def test_the_windows_agent_page_shows_the_token_once_and_downloads(administrator, operator):
    client = Client()
    client.force_login(administrator)
    page = client.get("/manage/windows-agent/")
    assert b"Python 3.9 or newer" in page.content
    assert b"replaces the agent's previous" in page.content
    made = client.post("/manage/windows-agent/add/", {"name": "web-2"})
    agent = Agent.objects.get(name="web-2")
    token = made.context["token"]
    assert token.encode() in made.content and agent.token_hash == token_hash(token)
    assert token.encode() not in client.get("/manage/windows-agent/").content
    download = client.post(f"/manage/windows-agent/{agent.pk}/package/")
    assert download["Content-Type"] == "application/zip"
    empty = client.post("/manage/windows-agent/add/", {"name": " "})
    assert empty.status_code == 400 and b"A name is required." in empty.content

    reader = Client()
    reader.force_login(operator)
    listed = reader.get("/manage/windows-agent/")
    assert b"web-2" in listed.content and b"Download agent package" not in listed.content


def test_a_pull_agent_deployment_waits_for_the_agent_and_takes_its_report(
    created, administrator, django_capture_on_commit_callbacks
):
    from cryptography.hazmat.primitives.serialization import pkcs12

    from agents.deploy import schedule_deployments
    from agents.models import Deployment
    from agents.signals import deployment_failed
    from agents.tasks import deploy_certificate
    from certlife.models import AuditEvent
    from tests.factories import make_repository_certificate

    agent = Agent.objects.get(pk=created["id"])
    AgentMapping.objects.create(
        kind="windows", domain="shop.example.com", agent=agent, deploy=True,
        install_to_iis=True, site="Shop",
    )  # fmt: skip
    certificate = make_repository_certificate(["shop.example.com"])
    version = certificate.current_version
    with django_capture_on_commit_callbacks():  # the task is run below, as a worker would
        (deployment,) = schedule_deployments(version, actor=administrator)
    assert deployment.host == "pull agent iis-1"
    deploy_certificate(deployment.pk)
    assert Deployment.objects.get(pk=deployment.pk).status == "running"

    (job,) = agent_client(created["token"]).get("/api/v1/agent/jobs/").json()["jobs"]
    assert job["kind"] == "install-certificate"
    assert (job["certificate_pem"], job["key_pem"]) == (
        version.certificate_pem,
        version.private_key_pem,
    )
    assert (job["install_to_iis"], job["site"]) == (True, "Shop")
    pfx = base64.b64decode(job["pfx_base64"])
    key, leaf, _ = pkcs12.load_key_and_certificates(pfx, job["pfx_password"].encode())
    assert leaf.serial_number == int(version.serial_number, 16) and key is not None
    released = AuditEvent.objects.get(action="certificate.deploy")
    assert "pull agent iis-1" in released.detail["recipient"] and released.detail["include_key"]

    failures = []

    def alerted(**signal):
        failures.append(signal["error"])

    deployment_failed.connect(alerted)
    try:
        answer = agent_client(created["token"]).post(
            f"/api/v1/agent/jobs/{job['id']}/result/",
            {
                "status": "rolled_back",
                "error": "`nginx -t` failed; the previous files were put back",
            },
            format="json",
        )
    finally:
        deployment_failed.disconnect(alerted)
    assert answer.status_code == 200
    deployment.refresh_from_db()
    assert deployment.status == "rolled_back" and deployment.finished_at is not None
    assert deployment.error.startswith("`nginx -t` failed")
    assert failures == [deployment.error]
