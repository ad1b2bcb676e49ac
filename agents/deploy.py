"""Deploying certificates to end servers (docs/features.md V6, V11).

`schedule_deployments(version, actor=...)` is what acme_orders calls once a version is
saved: one pending Deployment per mapping with "Deploy certificate" that covers one of
the certificate's names (targets that are the same files on the same server count
once), each run by its own task. `run_deployment(deployment)` is that task's work for
a Linux mapping, over SSH:

1. Before anything leaves certlife: the key must match the certificate, and the
   certificate must cover the mapping's domain.
2. Upload every file to a temporary name beside its target (key 0600 unless the
   mapping says otherwise, other files 0644; the owner set when given), then read each
   back and compare it with what was sent.
3. Copy each existing target to `<path>.certlife-previous` (mode and owner kept), then
   rename each upload over its target (rename(2) in one directory: atomic per file).
4. Run the config test, if any. It reads the new files, which the running server does
   not serve before its reload, so a failing test restores the previous files and
   nothing served ever changes: the deployment is `rolled_back`.
5. Run the reload command. If it fails, the previous files come back and the reload
   runs again: `rolled_back` (or `failed` when even that does not work).
6. A TLS handshake to tls_host (else the SSH host):tls_port with the certificate's name
   as SNI must show the new serial (retried briefly); otherwise `failed` with the
   serial that is served.

The previous files stay as `.certlife-previous` after a success, for a person's own
rollback. The private key is read from the version in the task and leaves through the
`agents.signals.private_key_sent` announcement, which acme_orders/key_release.py turns
into its release audit event (agents does not import acme_orders).
"""

import logging
import shlex
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from agents import agent_jobs, ssh
from agents.choices import DeploymentStatus, MappingKind
from agents.domains import patterns_covering
from agents.errors import AgentError
from agents.models import AgentMapping, Deployment
from agents.served_certificate import SerialMismatch, ServedCertificateError, wait_for_serial
from agents.signals import deployment_failed, private_key_sent
from certlife import unexpected_errors
from certlife.logging import redact_secrets

logger = logging.getLogger(__name__)

BACKUP_SUFFIX = ".certlife-previous"
# Enough for nginx -t or a systemctl message many times over; the end is kept, where a
# failing command says why.
MAX_OUTPUT_CHARACTERS = 20_000
# A deployment left `running` this long lost its worker; a redelivered task may take it.
STALE_RUNNING_AFTER = timedelta(minutes=15)
# A pending SSH deployment whose task message was lost (a broker down at commit time)
# is sent again after this long; claim() makes a duplicate message harmless.
RESEND_PENDING_AFTER = timedelta(minutes=5)
REVOKED = "revoked"  # acme_orders.choices.CertificateStatus.REVOKED (agents does not import it)


class DeploymentFailure(Exception):
    """The deployment stops here; `status` is failed or rolled_back."""

    def __init__(self, message: str, *, status: str = DeploymentStatus.FAILED):
        super().__init__(message)
        self.message = message
        self.status = status


@dataclass
class DeployFile:
    role: str  # "certificate", "chain", "full chain", "key"
    path: str
    content: bytes
    mode: int
    upload_path: str = ""  # the temporary file beside `path`, once uploaded
    existed: bool = False  # a previous file was kept at `backup_path`

    @property
    def backup_path(self) -> str:
        return self.path + BACKUP_SUFFIX


# Scheduling


def deploying_mappings(certificate) -> list[AgentMapping]:
    """The enabled Linux mappings with "Deploy certificate" that cover one of the
    certificate's names (V11), one per target: two mappings naming the same files on
    the same server (example.com and *.example.com) deploy once."""
    patterns = {pattern for name in certificate.domains for pattern in patterns_covering(name)}
    mappings = AgentMapping.objects.enabled().filter(
        kind__in=(MappingKind.LINUX, MappingKind.WINDOWS), deploy=True, domain__in=patterns
    )
    chosen: dict[tuple, AgentMapping] = {}
    for mapping in mappings.order_by("id"):
        target: tuple = (mapping.host, mapping.port, mapping.certificate_path, mapping.key_path)
        if mapping.kind == MappingKind.WINDOWS:  # a pull agent installs once per agent
            target = (MappingKind.WINDOWS, mapping.agent_id, mapping.site)
        chosen.setdefault(target, mapping)
    return list(chosen.values())


def _requester(actor) -> tuple[Any, str]:
    person = actor if actor is not None and getattr(actor, "is_authenticated", False) else None
    return person, person.get_username() if person else "scheduler"


def schedule_deployments(version, *, actor) -> list[Deployment]:
    """One pending deployment of `version` per deploying mapping, each sent to the
    worker on commit. A revoked certificate is never deployed."""
    certificate = version.certificate
    if certificate.status == REVOKED:
        return []
    person, name = _requester(actor)
    deployments = [
        Deployment.objects.create(
            certificate=certificate,
            version=version,
            mapping=mapping,
            host=agent_jobs.host_of(mapping)
            if mapping.kind == MappingKind.WINDOWS
            else mapping.host,
            requested_by=person,
            requested_by_name=name,
        )
        for mapping in deploying_mappings(certificate)
    ]
    for deployment in deployments:
        enqueue_deployment(deployment)
    return deployments


def enqueue_deployment(deployment: Deployment) -> None:
    from agents.tasks import deploy_certificate  # agents.tasks imports this module

    transaction.on_commit(lambda: deploy_certificate.delay(deployment.pk))


# Running


def claim(deployment_id: int) -> bool:
    """Take a pending deployment (or one whose worker died while running it)."""
    now = timezone.now()
    stale = Q(status=DeploymentStatus.RUNNING, started_at__lt=now - STALE_RUNNING_AFTER)
    taken = (
        Deployment.objects.filter(pk=deployment_id)
        .filter(Q(status=DeploymentStatus.PENDING) | stale)
        .update(status=DeploymentStatus.RUNNING, started_at=now, finished_at=None)
    )
    return taken == 1


def stalled_deployments() -> list[int]:
    """SSH deployments to send to a worker again: pending for long (their message was
    lost) or running for long (their worker died). Pull-agent deployments wait for
    their agent and are not resent."""
    now = timezone.now()
    stalled = Q(status=DeploymentStatus.PENDING, created_at__lt=now - RESEND_PENDING_AFTER) | Q(
        status=DeploymentStatus.RUNNING, started_at__lt=now - STALE_RUNNING_AFTER
    )
    return list(
        Deployment.objects.filter(stalled, mapping__kind=MappingKind.LINUX).values_list(
            "pk", flat=True
        )
    )


class Transcript:
    """The commands run on the server and what they printed, secrets cut out."""

    def __init__(self, secrets: list[str]):
        self._secrets = [secret for secret in secrets if secret]
        self._parts: list[str] = []

    def clean(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "[secret removed]")
        return redact_secrets(text)

    def add(self, line: str) -> None:
        self._parts.append(self.clean(line.rstrip("\n")))

    def text(self) -> str:
        text = "\n".join(self._parts)
        if len(text) > MAX_OUTPUT_CHARACTERS:
            text = "[earlier output cut]\n" + text[-MAX_OUTPUT_CHARACTERS:]
        return text


def run_deployment(deployment: Deployment) -> Deployment:
    """Deploy a claimed (running) deployment and record its outcome on the row."""
    deployment.attempts += 1
    mapping = deployment.mapping
    secrets = [deployment.version.private_key_pem, *(mapping.secret_values() if mapping else [])]
    transcript = Transcript(secrets)
    try:
        if mapping is None:
            raise DeploymentFailure("The agent mapping was deleted; nothing was deployed.")
        if mapping.kind == MappingKind.WINDOWS:
            return hand_to_pull_agent(deployment, mapping, transcript)
        deploy_over_ssh(deployment, mapping, transcript)
    except DeploymentFailure as failure:
        return _finish(deployment, transcript, failure.status, failure.message)
    except AgentError as error:  # connecting, authenticating, the host key
        return _finish(deployment, transcript, DeploymentStatus.FAILED, error.message)
    except Exception as error:  # a bug or an unmapped library error: fail in plain words
        logger.error(
            "Deployment %s stopped by an unexpected error:\n%s",
            deployment.pk,
            unexpected_errors.redacted_traceback(error, secrets=secrets),
        )
        return _finish(deployment, transcript, DeploymentStatus.FAILED, _plain(error))
    return _finish(deployment, transcript, DeploymentStatus.SUCCEEDED, "")


def _plain(error: Exception) -> str:
    """A failure's message for people: ours and the SSH gateway's are written for them;
    anything else is described (type and a short, redacted message)."""
    if isinstance(error, DeploymentFailure | AgentError):
        return error.message
    return f"An unexpected error stopped the deployment ({unexpected_errors.describe(error)})."


def _finish(deployment: Deployment, transcript: Transcript, status: str, error: str):
    error = transcript.clean(error)
    if error:
        transcript.add(f"certlife: {error}")
    deployment.status = status
    deployment.error = error
    deployment.output = transcript.text()
    deployment.finished_at = timezone.now()
    deployment.save(
        update_fields=[
            "status",
            "error",
            "output",
            "served_serial",
            "attempts",
            "finished_at",
        ]
    )
    if status != DeploymentStatus.SUCCEEDED:
        deployment_failed.send(sender=Deployment, deployment=deployment, error=error)
    return deployment


def hand_to_pull_agent(deployment: Deployment, mapping: AgentMapping, transcript: Transcript):
    """A pull agent's deployment stays running until the agent reports its install
    (agents/agent_jobs.py records the outcome here); certlife cannot connect to it."""
    if deployment.certificate.status == REVOKED:
        raise DeploymentFailure("The certificate is revoked; certlife does not deploy it.")
    check_before_upload(mapping, deployment.version, deployment.certificate.domains)
    try:
        agent_jobs.queue_install(deployment, mapping)
    except agent_jobs.NoAgent as reason:
        raise DeploymentFailure(str(reason)) from None
    transcript.add(f"certlife: waiting for {deployment.host} to fetch and install it")
    deployment.output = transcript.text()
    deployment.save(update_fields=["attempts", "output"])
    return deployment


def deploy_over_ssh(deployment: Deployment, mapping: AgentMapping, transcript: Transcript):
    version = deployment.version
    certificate = deployment.certificate
    if certificate.status == REVOKED:
        raise DeploymentFailure("The certificate is revoked; certlife does not deploy it.")
    if certificate.current_version_id != version.pk:
        # Sent now, it could overwrite the newer version that its own deployment sent.
        raise DeploymentFailure(
            "A newer version of the certificate was saved before this deployment ran; "
            "that version is deployed instead."
        )
    files = files_to_deploy(mapping, version)
    check_before_upload(mapping, version, certificate.domains)
    with ssh.connect(mapping) as connection:
        private_key_sent.send(
            sender=Deployment, deployment=deployment, recipient=_key_target(files)
        )
        install(connection, files, mapping, transcript)
    server_name = tls_server_name(certificate.domains, mapping)
    try:
        deployment.served_serial = wait_for_serial(
            mapping.served_host, mapping.tls_port, server_name, version.serial_number
        )
    except SerialMismatch as mismatch:
        deployment.served_serial = mismatch.seen
        raise DeploymentFailure(str(mismatch)) from None
    except ServedCertificateError as error:
        raise DeploymentFailure(
            f"The files are in place and the server reloaded, but the served certificate "
            f"could not be checked: {error}"
        ) from None
    transcript.add(
        f"certlife: {mapping.served_host} port {mapping.tls_port} serves serial "
        f"{deployment.served_serial}."
    )


def tls_server_name(domains: list[str], mapping: AgentMapping) -> str:
    """The name to ask for in the TLS check (SNI): the first of the certificate's own
    names that the mapping covers; for a wildcard, a name one level below it."""
    covered = [name for name in domains if mapping.domain in patterns_covering(name)]
    name = (covered or domains)[0]
    return f"certlife-check.{name[2:]}" if name.startswith("*.") else name


def _key_target(files: list[DeployFile]) -> str:
    return next(file.path for file in files if file.role == "key")


def _mode(text: str, default: int) -> int:
    try:
        mode = int(text or "", 8)
    except ValueError:
        return default
    return mode if 0 <= mode <= 0o7777 else default


def files_to_deploy(mapping: AgentMapping, version) -> list[DeployFile]:
    """The files the mapping asks for, with their contents and modes."""
    if not mapping.key_path or not (mapping.certificate_path or mapping.fullchain_path):
        raise DeploymentFailure(
            "The mapping needs a key path and a certificate or full-chain path to deploy."
        )
    certificate_pem = version.certificate_pem.strip() + "\n"
    chain_pem = version.chain_pem.strip() + "\n" if version.chain_pem.strip() else ""
    file_mode, key_mode = _mode(mapping.file_mode, 0o644), _mode(mapping.key_mode, 0o600)
    wanted = [
        ("certificate", mapping.certificate_path, certificate_pem, file_mode),
        ("chain", mapping.chain_path, chain_pem, file_mode),
        ("full chain", mapping.fullchain_path, certificate_pem + chain_pem, file_mode),
        ("key", mapping.key_path, version.private_key_pem.strip() + "\n", key_mode),
    ]
    return [
        DeployFile(role, path, content.encode(), mode)
        for role, path, content, mode in wanted
        if path
    ]


def check_before_upload(mapping: AgentMapping, version, domains: list[str]) -> None:
    """The key belongs to the certificate, and the certificate is for the mapping's domain."""
    certificate = x509.load_pem_x509_certificate(version.certificate_pem.encode())
    key = serialization.load_pem_private_key(version.private_key_pem.encode(), password=None)
    public = serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    if certificate.public_key().public_bytes(*public) != key.public_key().public_bytes(*public):
        raise DeploymentFailure(
            f"The private key of serial {version.serial_number} does not match its "
            "certificate; nothing was sent."
        )
    if not any(mapping.domain in patterns_covering(name) for name in domains):
        raise DeploymentFailure(
            f"The certificate ({', '.join(domains)}) does not cover the mapping's domain "
            f"{mapping.domain}; nothing was sent."
        )


def _run(connection, command: str, transcript: Transcript) -> ssh.CommandResult:
    transcript.add(f"$ {command}")
    result = ssh.run(connection, command)
    if result.output:
        transcript.add(result.output)
    if not result.succeeded:
        transcript.add(f"({_ended(result)})")
    return result


def _ended(result: ssh.CommandResult) -> str:
    return "timed out" if result.timed_out else f"exit status {result.exit_status}"


def install(connection, files: list[DeployFile], mapping, transcript: Transcript) -> None:
    """Steps 2 to 5 of the module docstring; raises DeploymentFailure or AgentError."""
    try:
        upload(connection, files, mapping.owner, transcript)
        keep_previous(connection, files, transcript)
    except Exception:
        _remove_uploads(connection, files)
        raise
    reload_ran = False
    try:
        for file in files:
            transcript.add(f"certlife: move the new {file.role} to {file.path}")
            ssh.rename_file(connection, file.upload_path, file.path)
        if mapping.test_command:
            result = _run(connection, mapping.test_command, transcript)
            if not result.succeeded:
                raise DeploymentFailure(
                    f"The config test failed ({_ended(result)}); the server was not reloaded."
                )
        if mapping.reload_command:
            reload_ran = True
            result = _run(connection, mapping.reload_command, transcript)
            if not result.succeeded:
                raise DeploymentFailure(f"The reload failed ({_ended(result)}).")
    except Exception as failure:  # whatever stopped it, the previous files come back
        restore_previous(connection, files, mapping, transcript, reload=reload_ran)
        raise DeploymentFailure(
            f"{_plain(failure)} The previous files are back in place"
            + (" and the server was reloaded with them." if reload_ran else "."),
            status=DeploymentStatus.ROLLED_BACK,
        ) from None


def upload(connection, files: list[DeployFile], owner: str, transcript: Transcript) -> None:
    """Each file to a temporary name beside its target, with its mode and owner, then
    read back: what will be renamed into place is exactly the certificate's bytes."""
    for file in files:
        transcript.add(f"certlife: upload the {file.role} beside {file.path}")
        file.upload_path = ssh.upload_temporary(
            connection, file.path, file.content, mode=file.mode, owner=owner
        )
    for file in files:
        if ssh.read_file(connection, file.upload_path) != file.content:
            raise DeploymentFailure(
                f"The uploaded {file.role} differs from the certificate's; nothing changed."
            )


def keep_previous(connection, files: list[DeployFile], transcript: Transcript) -> None:
    """Copy each existing target to its backup name, mode and owner kept (cp -p)."""
    for file in files:
        file.existed = _run_quiet(connection, f"test -e {shlex.quote(file.path)}")
        if not file.existed:
            continue
        backup = f"cp -p -- {shlex.quote(file.path)} {shlex.quote(file.backup_path)}"
        if not _run(connection, backup, transcript).succeeded:
            raise DeploymentFailure(f"The previous {file.role} could not be kept; nothing changed.")


def _run_quiet(connection, command: str) -> bool:
    return ssh.run(connection, command).succeeded


def _remove_uploads(connection, files: list[DeployFile]) -> None:
    for file in files:
        if file.upload_path:
            ssh.remove_file(connection, file.upload_path)


def restore_previous(
    connection,
    files: list[DeployFile],
    mapping: AgentMapping,
    transcript: Transcript,
    *,
    reload: bool,
) -> None:
    """Put the previous files back (and remove new files that had no previous one);
    reload again when the server may have read the new ones. Raises DeploymentFailure
    (failed) when that does not work: the server then needs a person."""
    transcript.add("certlife: restoring the previous files")
    try:
        for file in files:
            if file.existed:
                ssh.rename_file(connection, file.backup_path, file.path)
            else:
                ssh.remove_file(connection, file.path)
        _remove_uploads(connection, files)
    except AgentError as error:
        raise DeploymentFailure(
            f"The deploy failed and the previous files could not all be restored on "
            f"{mapping.host} ({error}): look at the server now."
        ) from None
    if reload and not _run(connection, mapping.reload_command, transcript).succeeded:
        raise DeploymentFailure(
            "The deploy failed, the previous files were restored, and reloading with them "
            f"failed too on {mapping.host}: look at the server now."
        )
