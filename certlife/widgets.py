"""Form widgets shared by the apps."""

from collections.abc import Mapping
from typing import Any

from django import forms


class SecretTextarea(forms.Textarea):
    """A textarea that never renders its value back: a pasted key is not echoed into
    the page when the form comes back with an error (PasswordInput's render_value=False
    for multi-line secrets)."""

    def format_value(self, value):
        return None


class TaggedSelect(forms.Select):
    """A select whose options each carry a `data-<tag>` attribute, e.g. the key
    algorithm an option goes with, so a script can offer only the fitting ones."""

    def __init__(self, *, tag: str, tags: Mapping[Any, str], attrs=None):
        super().__init__(attrs)
        self.tag, self.tags = tag, tags

    def create_option(self, name, value, *args, **kwargs):
        option = super().create_option(name, value, *args, **kwargs)
        if value in self.tags:
            option["attrs"][f"data-{self.tag}"] = self.tags[value]
        return option
