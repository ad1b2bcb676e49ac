"""The shape every scripted command shares: subcommands that call actions, audited
with source "cli", `--as-user` naming the person recorded as the actor, and refusals
printed as "field: message" instead of a traceback."""

import sys
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError

from certlife.audit import current_source


def read_text_file(path: str, what: str) -> str:
    """A file's text, or standard input for "-"."""
    if path == "-":
        return sys.stdin.read()
    try:
        return Path(path).read_text(encoding="utf-8")
    except OSError as error:
        raise CommandError(f"Cannot read the {what} file {path}: {error.strerror}") from None
    except UnicodeDecodeError:
        raise CommandError(
            f"The {what} file {path} is not UTF-8 text: give a PEM file (DER is not read)."
        ) from None


def write_private_file(path: str, content: bytes) -> None:
    """Created 0600 before anything secret is written; never overwrites a file."""
    target = Path(path)
    try:
        target.touch(mode=0o600, exist_ok=False)
        target.write_bytes(content)
    except OSError as error:
        raise CommandError(f"Cannot write {target}: {error.strerror}") from None


def one_by_name_or_id(queryset, name_or_id: str, what: str):
    """The one object of `queryset` numbered or named `name_or_id`, else CommandError."""
    found = queryset.filter(pk=int(name_or_id)) if name_or_id.isdigit() else queryset.none()
    found = found or queryset.filter(name=name_or_id)
    if len(found) != 1:
        raise CommandError(f"No single {what} named or numbered {name_or_id!r}.")
    return found[0]


def describe_refusal(error: ValidationError) -> str:
    if not hasattr(error, "error_dict"):
        return " ".join(error.messages)
    return "; ".join(f"{field}: {' '.join(m)}" for field, m in error.message_dict.items())


class ActionCommand(BaseCommand):
    """Subclasses define `add_subcommands(subparsers)` and a `do_<name>(actor, **options)`
    method per subcommand."""

    def add_arguments(self, parser):
        parser.add_argument("--as-user", help="Record this user as the actor in the audit log.")
        self.add_subcommands(parser.add_subparsers(dest="command", required=True))

    def add_subcommands(self, subparsers):
        raise NotImplementedError

    def handle(self, *args, command, as_user=None, **options):
        source = current_source.set("cli")
        try:
            actor = self._actor(as_user)
            getattr(self, "do_" + command.replace("-", "_"))(actor, **options)
        except ValidationError as error:
            raise CommandError(describe_refusal(error)) from None
        except PermissionDenied as error:
            raise CommandError(str(error) or "Not allowed for this user.") from None
        finally:
            current_source.reset(source)

    @staticmethod
    def _actor(username):
        if not username:
            return None
        try:
            return get_user_model().objects.get(username=username)
        except get_user_model().DoesNotExist:
            raise CommandError(f"No user {username!r}.") from None
