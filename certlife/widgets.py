"""Form widgets shared by the apps."""

from django import forms


class SecretTextarea(forms.Textarea):
    """A textarea that never renders its value back: a pasted key is not echoed into
    the page when the form comes back with an error (PasswordInput's render_value=False
    for multi-line secrets)."""

    def format_value(self, value):
        return None
