"""`manage.py certificates <list|request|show|verify|new-challenge|assign-dns|save|
email|export|renew|revoke|history|delete>`: certificate requests and the repository
from the command line (spec S4). The same actions as the UI and the API, audited as "cli"."""

from django.core.management.base import CommandError

from accounts.models import AcmeAccount
from acme_orders import actions
from acme_orders.choices import (
    KEY_SHAPES_BY_NAME,
    SIGNATURES_FOR_KEY,
    ChallengeType,
    ExportFormat,
    KeyPolicy,
    KeystoreType,
    RevocationReason,
    SignatureAlgorithm,
)
from acme_orders.models import Certificate, CertificateRequest, CertificateVersion
from acme_orders.request_settings import RequestSettings
from certlife.management.action_command import (
    ActionCommand,
    one_by_name_or_id,
    read_text_file,
    write_private_file,
)
from dns_providers.models import DnsAccount


def _get(model, pk: str, what: str):
    found = model.objects.filter(pk=int(pk)).first() if pk.isdigit() else None
    if found is None:
        raise CommandError(f"No {what} numbered {pk!r}.")
    return found


def _request_settings(options) -> RequestSettings:
    """The settings of `certificates request`; a signature left out is the key's default."""
    shape = KEY_SHAPES_BY_NAME[options["key"]]
    password_file, key_file = options["keystore_password_file"], options["imported_key_file"]
    dns_account = options["dns_account"]
    return RequestSettings(
        account=one_by_name_or_id(AcmeAccount.objects.all(), options["account"], "ACME account"),
        domains=options["domain"],
        challenge_type=options["challenge"],
        key_algorithm=shape.algorithm,
        key_size=shape.size,
        signature_algorithm=options["signature"] or SIGNATURES_FOR_KEY[shape.algorithm][0],
        keystore_type=options["keystore"],
        keystore_password=read_text_file(password_file, "password").strip()
        if password_file
        else "",
        key_policy=options["key_policy"],
        imported_key_pem=read_text_file(key_file, "key") if key_file else "",
        dns_account=_dns_account(dns_account) if dns_account else None,
        profile=options["profile"],
        use_builtin_http_responder=options["builtin_http"],
    )


def _version(certificate: Certificate, pk: str) -> CertificateVersion:
    found = certificate.versions.filter(pk=int(pk)).first() if pk.isdigit() else None
    if found is None:
        raise CommandError(f"No version numbered {pk!r} of this certificate.")
    return found


def _dns_account(name_or_provider: str) -> DnsAccount:
    found = DnsAccount.objects.filter(provider=name_or_provider).first()
    found = found or DnsAccount.objects.filter(name=name_or_provider).first()
    if found is None:
        raise CommandError(f"No DNS account for the provider or named {name_or_provider!r}.")
    return found


class Command(ActionCommand):
    help = (
        "Request, inspect, save, export, renew, revoke certificates and list their history "
        "from the command line."
    )

    def add_subcommands(self, commands):
        listing = commands.add_parser("list", help="List the repository's certificates.")
        listing.add_argument("--requests", action="store_true", help="List requests instead.")

        new = commands.add_parser("request", help="Create a certificate request.")
        new.add_argument("--account", required=True, help="ACME account name or id.")
        new.add_argument("--domain", action="append", required=True, help="Repeat per name.")
        new.add_argument("--challenge", choices=ChallengeType.values, default="http-01")
        new.add_argument("--key", choices=KEY_SHAPES_BY_NAME, default="EC-256")
        new.add_argument("--signature", choices=SignatureAlgorithm.values)
        new.add_argument("--keystore", choices=KeystoreType.values, default="PEM")
        new.add_argument("--keystore-password-file", help="File holding it (- for stdin).")
        new.add_argument("--key-policy", choices=KeyPolicy.values, default="new")
        new.add_argument("--imported-key-file", help="PEM key for --key-policy import.")
        new.add_argument("--dns-account", help="Provider code or name of a DNS account.")
        new.add_argument("--profile", default="")
        new.add_argument("--builtin-http", action="store_true", help="certlife answers HTTP-01.")

        request_subcommands = {
            "show": "Show a request and what to publish.",
            "verify": "The answers are published: validate.",
            "new-challenge": "A fresh order for a failed request.",
            "save": "Save an available certificate to the repository.",
        }
        for name, what in request_subcommands.items():
            commands.add_parser(name, help=what).add_argument("request", help="Request id.")
        assign = commands.add_parser("assign-dns", help="Attach a DNS account to a request.")
        assign.add_argument("request", help="Request id.")
        assign.add_argument("dns_account", help="Provider code or name of a DNS account.")

        email = commands.add_parser("email", help="Email an issued certificate.")
        email.add_argument("request", help="Request id.")
        email.add_argument("--to", required=True, help="Recipient address.")
        email.add_argument("--include-key", action="store_true", help="Send the key too.")

        export = commands.add_parser("export", help="Write a certificate file.")
        export.add_argument("certificate", help="Certificate id.")
        export.add_argument("--format", choices=ExportFormat.values, default="pem-bundle")
        export.add_argument("--include-key", action="store_true")
        export.add_argument("--password-file", help="Keystore password file (- for stdin).")
        export.add_argument("--output", required=True, help="File to create (mode 0600).")
        export.add_argument("--version-id", help="Version id (see history); default current.")

        commands.add_parser("renew", help="Renew a certificate.").add_argument("certificate")
        revoke = commands.add_parser(
            "revoke", help="Revoke at the CA: sites using it lose HTTPS at once."
        )
        revoke.add_argument("certificate")
        revoke.add_argument("--reason", required=True, choices=RevocationReason.values)
        history = commands.add_parser("history", help="Every version of a certificate.")
        history.add_argument("certificate")
        delete = commands.add_parser("delete", help="Remove from certlife (stays valid).")
        delete.add_argument("certificate")
        delete.add_argument("--yes", action="store_true", help="Confirm.")

    def do_list(self, actor, *, requests, **options):
        if requests:
            for item in CertificateRequest.objects.all():
                self.stdout.write(f"{item.pk}\t{item.status}\t{','.join(item.domains)}")
            return
        for certificate in Certificate.objects.select_related("current_version"):
            version = certificate.current_version
            expires = f"{version.not_after:%Y-%m-%d}" if version else "-"
            self.stdout.write(
                f"{certificate.pk}\t{certificate.status}\t{expires}\t{','.join(certificate.domains)}"
            )

    def do_request(self, actor, **options):
        created = actions.request_certificate(actor=actor, settings=_request_settings(options))
        self.stdout.write(f"{created.pk}")

    def do_show(self, actor, *, request, **options):
        item = _get(CertificateRequest, request, "request")
        self.stdout.write(f"status: {item.status}")
        if item.error:
            self.stdout.write(f"error: {item.error}")
        for challenge in item.challenges.all():
            line = f"{challenge.domain}\t{challenge.solver}\t{challenge.status}"
            if challenge.solver == "manual" and challenge.status == "pending":
                if challenge.http_path:
                    line += f"\t{challenge.http_path}\t{challenge.http_content}"
                else:
                    line += f"\t{challenge.txt_name}\t{challenge.txt_value}"
            self.stdout.write(line)

    def do_verify(self, actor, *, request, **options):
        actions.verify_request(_get(CertificateRequest, request, "request"), actor=actor)
        self.stdout.write("Checking the published answers, then asking the CA to validate.")

    def do_new_challenge(self, actor, *, request, **options):
        actions.new_challenge(_get(CertificateRequest, request, "request"), actor=actor)
        self.stdout.write("A new order is being placed.")

    def do_assign_dns(self, actor, *, request, dns_account, **options):
        actions.assign_dns_account(
            _get(CertificateRequest, request, "request"),
            dns_account=_dns_account(dns_account),
            actor=actor,
        )
        self.stdout.write("The DNS account will publish the TXT records.")

    def do_save(self, actor, *, request, **options):
        certificate = actions.save_to_repository(
            _get(CertificateRequest, request, "request"), actor=actor
        )
        self.stdout.write(f"{certificate.pk}")

    def do_email(self, actor, *, request, to, include_key, **options):
        export_format = actions.email_certificate(
            _get(CertificateRequest, request, "request"),
            actor=actor,
            to=to,
            include_key=include_key,
        )
        self.stdout.write(f"Sending {export_format} to {to}.")

    def do_export(self, actor, *, certificate, include_key, password_file, output, **options):
        password = read_text_file(password_file, "password").strip() if password_file else ""
        chosen = _get(Certificate, certificate, "certificate")
        version = options["version_id"]
        exported = actions.certificate_export_file(
            chosen,
            version=_version(chosen, version) if version else None,
            actor=actor,
            export_format=options["format"],
            include_key=include_key,
            password=password,
            recipient=f"file {output}",
        )
        write_private_file(output, exported.content)
        self.stderr.write(f"Wrote {exported.filename} to {output} (mode 0600).")

    def do_renew(self, actor, *, certificate, **options):
        renewal = actions.renew_certificate(
            _get(Certificate, certificate, "certificate"), actor=actor
        )
        self.stdout.write(f"{renewal.pk}")
        self.stderr.write(
            f"Renewal request {renewal.pk} started; when it is available, save it with "
            f"`certificates save {renewal.pk}`."
        )

    def do_revoke(self, actor, *, certificate, reason, **options):
        revoked = actions.revoke_certificate(
            _get(Certificate, certificate, "certificate"), reason=reason, actor=actor
        )
        self.stdout.write(f"Revoked {revoked.common_name} at the CA ({reason}).")

    def do_history(self, actor, *, certificate, **options):
        """One line per version, newest first: id, serial, not before, not after, saved
        at, by whom (or scheduler), key type, key fingerprint, issuer; * marks the current."""
        chosen = _get(Certificate, certificate, "certificate")
        for version in chosen.versions.order_by("-created_at", "-id"):
            current = "*" if version.pk == chosen.current_version_id else " "
            self.stdout.write(
                "\t".join(
                    [
                        f"{current}{version.pk}",
                        version.serial_number,
                        f"{version.not_before:%Y-%m-%d %H:%M}",
                        f"{version.not_after:%Y-%m-%d %H:%M}",
                        f"{version.created_at:%Y-%m-%d %H:%M}",
                        version.created_by_name,
                        version.key_type,
                        version.key_fingerprint or "-",
                        version.issuer,
                    ]
                )
            )

    def do_delete(self, actor, *, certificate, yes, **options):
        if not yes:
            raise CommandError("Add --yes to delete (the certificate stays valid at the CA).")
        actions.delete_certificate(_get(Certificate, certificate, "certificate"), actor=actor)
        self.stdout.write("Deleted from certlife; the certificate stays valid.")
