from celery import shared_task

from dns_providers import actions
from dns_providers.errors import DnsProviderError
from dns_providers.models import DnsAccount


@shared_task
def test_dns_account_connection(account_id: int) -> None:
    """Run the provider's `test()` and record the outcome on the account.

    A worker, not the web request, talks to the provider: a slow API (retries, time-outs)
    must not hold a web worker, and the page polls the row for the outcome.
    """
    account = DnsAccount.objects.filter(pk=account_id).first()
    if account is None:
        return
    try:
        message = account.build_provider().test()
        passed = True
    except DnsProviderError as error:
        message, passed = error.message, False
    except LookupError as error:
        message, passed = str(error), False
    actions.record_connection_test(account, passed=passed, message=message, actor=None)
