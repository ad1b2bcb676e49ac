import pytest

from accounts.acme.directory import forget_cached_directories


@pytest.fixture(autouse=True)
def _fresh_directory_cache():
    forget_cached_directories()
    yield
    forget_cached_directories()


@pytest.fixture
def trusted_pebble(pebble, settings, allow_loopback):
    """The harness Pebble, with certlife trusting its TLS certificate (and allowed to
    connect to it on loopback)."""
    settings.REQUESTS_CA_BUNDLE = pebble.ca_bundle
    return pebble


@pytest.fixture
def trust(settings, allow_loopback):
    """trust(pebble) -> pebble, with certlife trusting that Pebble's TLS certificate
    (and allowed to connect to it on loopback)."""

    def trusting(pebble):
        settings.REQUESTS_CA_BUNDLE = pebble.ca_bundle
        return pebble

    return trusting
