"""The order pipeline's worker keeps one ACME client per thread and account between
task runs (accounts.acme_client.reused_acme_client_for): the same client comes back for
the same account, a new one when the account's key, URL or the proxy changed, when it
is older than a directory is cached, or after forget_reused_acme_clients()."""

import threading
from types import SimpleNamespace

import pytest
from django.test import override_settings

from accounts import acme_client


@pytest.fixture
def built(monkeypatch):
    """Clients built by the fake acme_client_for, in order (with closed sessions)."""
    made = []

    def fake_client_for(account):
        client = SimpleNamespace(account=account, net=SimpleNamespace(session=FakeSession()))
        made.append(client)
        return client

    monkeypatch.setattr(acme_client, "acme_client_for", fake_client_for)
    acme_client.forget_reused_acme_clients()
    yield made
    acme_client.forget_reused_acme_clients()


class FakeSession:
    closed = False

    def close(self):
        self.closed = True


def account(key="key-1", url="https://ca.example.net/acct/1"):
    return SimpleNamespace(directory_url="https://ca.example.net/dir", account_url=url, key_pem=key)


def test_the_same_account_gets_the_same_client(built):
    first = acme_client.reused_acme_client_for(account())
    assert acme_client.reused_acme_client_for(account()) is first
    assert len(built) == 1


def test_a_new_key_account_url_or_proxy_builds_a_new_client(built):
    first = acme_client.reused_acme_client_for(account())
    assert acme_client.reused_acme_client_for(account(key="key-2")) is not first
    assert (
        acme_client.reused_acme_client_for(account(url="https://ca.example.net/acct/2"))
        is not first
    )
    with override_settings(CERTLIFE_HTTPS_PROXY="http://proxy.example.net:3128"):
        assert acme_client.reused_acme_client_for(account()) is not first
    assert len(built) == 4


def test_an_old_client_is_replaced_and_closed(built, monkeypatch):
    first = acme_client.reused_acme_client_for(account())
    later = acme_client.time.monotonic() + acme_client.REUSED_CLIENT_SECONDS + 1
    monkeypatch.setattr(acme_client.time, "monotonic", lambda: later)
    assert acme_client.reused_acme_client_for(account()) is not first
    assert first.net.session.closed


def test_forgetting_closes_the_clients_and_builds_anew(built):
    first = acme_client.reused_acme_client_for(account())
    acme_client.forget_reused_acme_clients()
    assert first.net.session.closed
    assert acme_client.reused_acme_client_for(account()) is not first


def test_at_most_reused_clients_are_kept(built):
    clients = [
        acme_client.reused_acme_client_for(account(key=f"key-{n}"))
        for n in range(acme_client.REUSED_CLIENTS + 1)
    ]
    assert clients[0].net.session.closed  # the least recently used went
    assert not clients[-1].net.session.closed


def test_another_thread_never_gets_this_threads_client(built):
    mine = acme_client.reused_acme_client_for(account())
    theirs = []
    thread = threading.Thread(
        target=lambda: theirs.append(acme_client.reused_acme_client_for(account()))
    )
    thread.start()
    thread.join()
    assert theirs[0] is not mine
