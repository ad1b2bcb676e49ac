import pytest

from accounts.acme_client import forget_cached_directories


@pytest.fixture(autouse=True)
def _fresh_directory_cache():
    forget_cached_directories()
    yield
    forget_cached_directories()


@pytest.fixture
def trusted_pebble(pebble, settings):
    """The harness Pebble, with certlife trusting its TLS certificate."""
    settings.REQUESTS_CA_BUNDLE = pebble.ca_bundle
    return pebble


@pytest.fixture
def trust(settings):
    """trust(pebble) -> pebble, with certlife trusting that Pebble's TLS certificate."""

    def trusting(pebble):
        settings.REQUESTS_CA_BUNDLE = pebble.ca_bundle
        return pebble

    return trusting
