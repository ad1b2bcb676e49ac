"""certlife.forms.apply_action_errors: an action's errors land on the inputs they name."""

from django import forms
from django.core.exceptions import ValidationError

from certlife.forms import apply_action_errors


class ExampleForm(forms.Form):
    name = forms.CharField()
    api_token = forms.CharField()
    directory_choice = forms.CharField()


def test_errors_go_on_the_named_inputs_after_prefix_and_renaming():
    form = ExampleForm({"name": "n", "api_token": "t", "directory_choice": "d"})
    assert form.is_valid()
    error = ValidationError(
        {
            "credentials.api_token": ["Too short."],
            "name": ["Taken."],
            "directory": ["Unreachable."],
            "provider": ["Unknown provider."],
        }
    )
    apply_action_errors(
        form, error, prefix="credentials.", renamed={"directory": "directory_choice"}
    )
    assert form.errors == {
        "api_token": ["Too short."],
        "name": ["Taken."],
        "directory_choice": ["Unreachable."],
        "__all__": ["Unknown provider."],
    }


def test_an_error_without_fields_goes_above_the_form():
    form = ExampleForm({"name": "n", "api_token": "t", "directory_choice": "d"})
    assert form.is_valid()
    apply_action_errors(form, ValidationError("The CA is unreachable."))
    assert form.errors == {"__all__": ["The CA is unreachable."]}
