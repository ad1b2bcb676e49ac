from django import forms

from agents.actions import DNS_FIELDS, FIELDS_OF_KIND, SECRET_FIELDS
from agents.choices import MappingKind
from agents.models import Agent, AgentMapping
from certlife.query import FilterForm, choice_filter, text_filter
from dns_providers.providers import PROVIDERS, provider_choices

CREDENTIAL_PREFIX = "credential_"
KEEPS_STORED = "Leave blank to keep the stored value."
# Form inputs of the kinds; the DNS credentials are one input per provider field.
FORM_FIELDS_OF_KIND = {
    MappingKind.LINUX: FIELDS_OF_KIND[MappingKind.LINUX],
    MappingKind.WINDOWS: FIELDS_OF_KIND[MappingKind.WINDOWS],
    MappingKind.DNS: ("dns_provider",),
}


class AgentMappingForm(forms.Form):
    """The inputs of one mapping; the rules are agents.actions', whose errors the view
    puts on the inputs they name (certlife.forms.apply_action_errors). Only the chosen
    kind's inputs are shown; secrets are never filled in, and left empty on edit they
    keep the stored value."""

    kind = forms.ChoiceField(choices=MappingKind.choices, initial=MappingKind.LINUX)
    domain = forms.CharField(
        max_length=255, help_text="A name, or *.example.com for the names one level below."
    )
    deploy = forms.BooleanField(
        required=False,
        label="Deploy certificate",
        help_text="After issuance and every renewal, install the certificate on this server.",
    )
    enabled = forms.BooleanField(required=False, initial=True)

    host = forms.CharField(required=False, max_length=255)
    port = forms.IntegerField(required=False, initial=22, min_value=1, max_value=65535)
    username = forms.CharField(required=False, max_length=100, label="User")
    password = forms.CharField(
        required=False, strip=False, max_length=1024, widget=forms.PasswordInput
    )
    private_key = forms.CharField(
        required=False,
        strip=False,
        max_length=16384,
        widget=forms.Textarea(attrs={"rows": 4, "autocomplete": "off"}),
        help_text="Unencrypted OpenSSH or PEM key; used instead of the password.",
    )
    host_key_fingerprint = forms.CharField(
        required=False,
        max_length=100,
        label="Host key fingerprint",
        help_text="SHA256:... as ssh-keygen -lf prints it. Leave blank: certlife fetches the "
        "key and asks you to confirm it.",
    )
    web_root = forms.CharField(
        required=False, max_length=500, help_text="Where /.well-known/acme-challenge/ is served."
    )
    certificate_path = forms.CharField(required=False, max_length=500)
    chain_path = forms.CharField(required=False, max_length=500)
    fullchain_path = forms.CharField(required=False, max_length=500, label="Full-chain path")
    key_path = forms.CharField(required=False, max_length=500)
    owner = forms.CharField(required=False, max_length=100, help_text="user or user:group")
    file_mode = forms.CharField(required=False, max_length=4, initial="0644")
    key_mode = forms.CharField(required=False, max_length=4, initial="0600")
    test_command = forms.CharField(
        required=False, max_length=1000, help_text="Checks the configuration, e.g. nginx -t"
    )
    reload_command = forms.CharField(
        required=False, max_length=1000, help_text="e.g. systemctl reload nginx"
    )
    tls_host = forms.CharField(
        required=False, max_length=255, label="TLS check host", help_text="Default: the host."
    )
    tls_port = forms.IntegerField(
        required=False, initial=443, min_value=1, max_value=65535, label="TLS check port"
    )

    agent = forms.ModelChoiceField(
        queryset=Agent.objects.filter(revoked_at__isnull=True), required=False
    )
    install_to_iis = forms.BooleanField(required=False, label="Install to IIS")
    site = forms.CharField(required=False, max_length=200, label="IIS site")

    dns_provider = forms.ChoiceField(
        choices=[("", "Choose a provider"), *provider_choices()], required=False, label="Provider"
    )

    def __init__(self, *args, mapping: AgentMapping | None = None, **kwargs):
        self.mapping = mapping
        if mapping is not None:
            mapping_kind = MappingKind(mapping.kind)
            initial = {
                name: getattr(mapping, name)
                for name in ("kind", "domain", "deploy", "enabled", *FIELDS_OF_KIND[mapping_kind])
                if name not in SECRET_FIELDS and name not in DNS_FIELDS
            }
            initial["dns_provider"] = mapping.dns_provider
            initial.update(
                {
                    CREDENTIAL_PREFIX + name: value
                    for name, value in mapping.masked_dns_credentials().items()
                }
            )
            kwargs.setdefault("initial", initial)
        super().__init__(*args, **kwargs)
        if mapping is not None:
            self.fields["kind"].disabled = True
            self.fields["dns_provider"].disabled = True
            for name in SECRET_FIELDS:
                if name in self.fields:
                    self.fields[name].help_text = KEEPS_STORED
        provider_class = PROVIDERS.get(self.chosen("dns_provider"))
        self.provider_class = provider_class
        if self.chosen("kind") == MappingKind.DNS and provider_class is not None:
            for field in provider_class.fields:
                keeps_stored = field.secret and mapping is not None
                self.fields[CREDENTIAL_PREFIX + field.name] = forms.CharField(
                    label=field.label,
                    required=False,
                    strip=False,
                    initial=field.default or None,
                    help_text=f"{field.help} {KEEPS_STORED if keeps_stored else ''}".strip(),
                    widget=forms.PasswordInput if field.secret else forms.TextInput,
                )

    def chosen(self, name: str) -> str:
        """The value of `name` as submitted (or initial): what decides the inputs shown."""
        if name == "kind" and self.mapping is not None:
            return self.mapping.kind
        if self.is_bound:
            return self.data.get(name) or ""
        return str(self.initial.get(name) or self.fields[name].initial or "")

    @property
    def chosen_kind(self) -> str:
        return self.chosen("kind") or MappingKind.LINUX

    @property
    def chosen_provider(self) -> str:
        return self.chosen("dns_provider")

    def kind_fields(self) -> list[forms.BoundField]:
        kind = self.chosen_kind if self.chosen_kind in MappingKind.values else MappingKind.LINUX
        names = list(FORM_FIELDS_OF_KIND[MappingKind(kind)])
        names += [name for name in self.fields if name.startswith(CREDENTIAL_PREFIX)]
        return [self[name] for name in names]

    def mapping_input(self) -> dict:
        """The action's keyword arguments for the chosen kind."""
        values = self.cleaned_data
        kind = MappingKind(self.cleaned_data["kind"])
        data = {name: values[name] for name in ("domain", "deploy", "enabled")}
        if kind == MappingKind.DNS:
            data["dns_provider"] = values["dns_provider"]
            data["dns_credentials"] = {
                name.removeprefix(CREDENTIAL_PREFIX): value
                for name, value in values.items()
                if name.startswith(CREDENTIAL_PREFIX)
            }
            return data
        for name in FIELDS_OF_KIND[kind]:
            value = values.get(name)
            if value is None and name in ("port", "tls_port"):
                value = self.fields[name].initial
            data[name] = "" if value is None and name != "agent" else value
        return data


class TrustHostKeyForm(forms.Form):
    fingerprint = forms.CharField(max_length=100)


class AgentMappingFilterForm(FilterForm):
    domain = text_filter(label="Domain", help_text="Part of the domain.")
    kind = choice_filter(MappingKind.choices, label="Kind")

    def narrow(self, queryset, values):
        if "kind" in values:
            queryset = queryset.filter(kind=values["kind"])
        if "domain" in values:
            queryset = queryset.filter(domain__icontains=values["domain"])
        return queryset
