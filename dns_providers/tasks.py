import logging

from celery import shared_task

from certlife import unexpected_errors
from dns_providers import actions
from dns_providers.errors import DnsProviderError
from dns_providers.models import UNFINISHED_TEST_MESSAGE, DnsAccount

logger = logging.getLogger(__name__)


@shared_task
def test_dns_account_connection(account_id: int) -> None:
    """Run the provider's `test()` and record the outcome on the account.

    A worker, not the web request, talks to the provider: a slow API (retries, time-outs)
    must not hold a web worker, and the page polls the row for the outcome. Whatever
    the test raises ends as a failed test with a message: the page waits for one.
    """
    account = DnsAccount.objects.filter(pk=account_id).first()
    if account is None:
        return
    try:
        message = account.build_provider().test()
        passed = True
    except DnsProviderError as error:
        message, passed = error.message, False
    except Exception as error:
        message, passed = unexpected_test_error(account, error), False
    actions.record_connection_test(account, passed=passed, message=message, actor=None)


def unexpected_test_error(account: DnsAccount, error: Exception) -> str:
    if account.provider_class is None:
        return str(error)  # build_provider's own words: the provider is not installed
    secrets = account.secret_values()
    logger.error(
        "Test connection of DNS account %s raised:\n%s",
        account.pk,
        unexpected_errors.redacted_traceback(error, secrets=secrets),
    )
    return (
        f"Unexpected error while testing the connection: "
        f"{unexpected_errors.describe(error, secrets=secrets).rstrip('.')}. Check the "
        "account's settings and save them again, or report this."
    )


@shared_task
def fail_unfinished_connection_tests() -> None:
    """Tests whose worker died, or that no worker took, end failed instead of showing
    "Testing..." for ever."""
    for account in DnsAccount.objects.with_unfinished_connection_test():
        actions.record_connection_test(
            account, passed=False, message=UNFINISHED_TEST_MESSAGE, actor=None
        )
