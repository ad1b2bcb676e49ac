"""The shape of a failure of an outside system (docs/conventions.md point 5)."""


class OutsideSystemError(Exception):
    """A DNS provider or an end server failed, in plain words that name it and never
    a secret. Temporary failures (refused, timed out, 5xx) may succeed later; permanent
    ones need a person to fix something."""

    def __init__(self, message: str, *, permanent: bool):
        super().__init__(message)
        self.message = message
        self.permanent = permanent

    def __str__(self) -> str:
        return self.message
