"""`manage.py accounts <list|register|import|export|update-email|deactivate|delete>`,
for scripted set-ups. The same actions as the UI and the API, audited as "cli"."""

from django.core.management.base import CommandError

from accounts import actions
from accounts.models import AcmeAccount
from certlife.management.action_command import (
    ActionCommand,
    one_by_name_or_id,
    read_text_file,
    write_private_file,
)


def _account(name_or_id: str) -> AcmeAccount:
    return one_by_name_or_id(AcmeAccount.objects.all(), name_or_id, "account")


def _read_key(path: str) -> str:
    return read_text_file(path, "key")


class Command(ActionCommand):
    help = "Manage ACME accounts (spec A1-A6) from the command line."

    def add_subcommands(self, commands):
        commands.add_parser("list", help="List the accounts.")

        register = commands.add_parser("register", help="Register a new account at the CA.")
        self._add_new_account_arguments(register)
        register.add_argument(
            "--agree-tos", action="store_true", help="Agree to the CA's terms of service."
        )
        register.add_argument("--eab-kid", default="")
        register.add_argument(
            "--eab-hmac-key-file", help="File holding the EAB HMAC key (- for standard input)."
        )

        import_ = commands.add_parser("import", help="Add an existing account by its key.")
        self._add_new_account_arguments(import_)
        import_.add_argument("--key-file", required=True, help="PEM file (- for standard input).")

        export = commands.add_parser("export", help="Write the account key (PEM).")
        export.add_argument("account", help="Account name or id.")
        export.add_argument("--output", default="-", help="File to write (default: stdout).")

        update = commands.add_parser("update-email", help="Change the account's email.")
        update.add_argument("account", help="Account name or id.")
        update.add_argument("email")

        for name, what in (("deactivate", "Deactivate at the CA, for ever."),
                           ("delete", "Remove from certlife only.")):  # fmt: skip
            sub = commands.add_parser(name, help=what)
            sub.add_argument("account", help="Account name or id.")
            sub.add_argument("--yes", action="store_true", help="Confirm.")

    def _add_new_account_arguments(self, parser):
        parser.add_argument("--name", required=True)
        parser.add_argument("--email", required=True)
        parser.add_argument(
            "--directory", required=True, help="production, staging or an ACME directory URL."
        )

    def do_list(self, actor, **options):
        for account in AcmeAccount.objects.all():
            self.stdout.write(
                f"{account.pk}\t{account.name}\t{account.email}\t{account.status}\t"
                f"{account.directory_url}"
            )

    def do_register(self, actor, *, name, email, directory, agree_tos, eab_kid, **options):
        hmac_file = options.get("eab_hmac_key_file")
        account = actions.register_account(
            actor=actor,
            name=name,
            email=email,
            directory=directory,
            agree_tos=agree_tos,
            eab_kid=eab_kid,
            eab_hmac_key=_read_key(hmac_file).strip() if hmac_file else "",
        )
        self.stdout.write(f"Registered account {account.pk} ({account.account_url}).")

    def do_import(self, actor, *, name, email, directory, key_file, **options):
        account = actions.import_account(
            actor=actor, name=name, email=email, directory=directory, key_pem=_read_key(key_file)
        )
        self.stdout.write(f"Added account {account.pk} ({account.account_url}).")

    def do_export(self, actor, *, account, output, **options):
        pem = actions.export_account_key(_account(account), actor=actor)
        if output == "-":
            self.stdout.write(pem, ending="")
            return
        write_private_file(output, pem.encode())
        self.stderr.write(f"Wrote the account key to {output} (mode 0600).")

    def do_update_email(self, actor, *, account, email, **options):
        updated = actions.update_account_email(_account(account), actor=actor, email=email)
        self.stdout.write(f"The email of {updated.name} is now {updated.email}.")

    def do_deactivate(self, actor, *, account, yes, **options):
        if not yes:
            raise CommandError("Deactivation is permanent: add --yes to confirm.")
        deactivated = actions.deactivate_account(_account(account), actor=actor)
        self.stdout.write(f"Deactivated {deactivated.name} at the CA.")

    def do_delete(self, actor, *, account, yes, **options):
        if not yes:
            raise CommandError("Add --yes to delete (the account stays active at the CA).")
        target = _account(account)
        actions.delete_account(target, actor=actor)
        self.stdout.write(f"Deleted {target.name} from certlife; it stays active at the CA.")
