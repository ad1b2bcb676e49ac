from django.db import models


class AccountStatus(models.TextChoices):
    VALID = "valid", "Valid"
    DEACTIVATED = "deactivated", "Deactivated"


class DirectoryChoice(models.TextChoices):
    PRODUCTION = "production", "Let's Encrypt production"
    STAGING = "staging", "Let's Encrypt staging"
    CUSTOM = "custom", "Custom ACME directory URL"


# The real directory URLs behind the named choices (docs/acme-notes.md).
LETS_ENCRYPT_DIRECTORY_URLS: dict[str, str] = {
    DirectoryChoice.PRODUCTION: "https://acme-v02.api.letsencrypt.org/directory",
    DirectoryChoice.STAGING: "https://acme-staging-v02.api.letsencrypt.org/directory",
}
