"""`manage.py accounts ...` for scripted set-ups, against the harness Pebble."""

import pytest
from django.core.management import CommandError, call_command

from accounts.models import AcmeAccount
from certlife.models import AuditEvent

pytestmark = [pytest.mark.e2e, pytest.mark.django_db]


def test_register_export_delete_import_update_deactivate_from_the_command_line(
    administrator, trusted_pebble, tmp_path, capsys
):
    directory = trusted_pebble.directory_url
    new_account = ["--name", "Scripted", "--email", "cli@certlife.test", "--directory", directory]

    with pytest.raises(CommandError, match="agree_tos"):
        call_command("accounts", "register", *new_account)
    call_command("accounts", "--as-user", administrator.username, "register", *new_account,
                 "--agree-tos")  # fmt: skip
    account = AcmeAccount.objects.get()

    key_file = tmp_path / "account.pem"
    call_command("accounts", "export", "Scripted", "--output", str(key_file))
    assert key_file.read_text() == account.key_pem
    assert key_file.stat().st_mode & 0o777 == 0o600
    call_command("accounts", "delete", "Scripted", "--yes")
    call_command("accounts", "import", *new_account, "--key-file", str(key_file))
    imported = AcmeAccount.objects.get()
    assert imported.account_url == account.account_url

    call_command("accounts", "update-email", str(imported.pk), "new-cli@certlife.test")
    with pytest.raises(CommandError, match="--yes"):
        call_command("accounts", "deactivate", "Scripted")
    call_command("accounts", "deactivate", "Scripted", "--yes")
    call_command("accounts", "list")

    listed = capsys.readouterr().out
    assert "new-cli@certlife.test\tdeactivated" in listed
    assert account.key_pem.splitlines()[1] not in listed
    events = AuditEvent.objects.filter(action__startswith="account.", outcome="success")
    events = events.order_by("id")
    assert [event.action for event in events] == [
        "account.register", "account.export_key", "account.delete", "account.import",
        "account.update_email", "account.deactivate",
    ]  # fmt: skip
    assert {event.source for event in events} == {"cli"}
    assert events[0].actor == administrator and events[1].actor_name == "cli"
