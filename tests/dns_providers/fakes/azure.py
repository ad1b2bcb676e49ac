"""Microsoft Entra ID's client-credentials token endpoint and the Azure Resource Manager
DNS API (learn.microsoft.com/rest/api/dns, api-version 2018-05-01), over HTTPS as the
SDKs insist:

- `GET /{tenant}/v2.0/.well-known/openid-configuration`, then
  `POST /{tenant}/oauth2/v2.0/token` (form: grant_type=client_credentials, client_id,
  client_secret, scope) answering an access token, or Entra's `{error,
  error_description: "AADSTS...: ..."}` for an unknown tenant, client or secret;
- ARM under `/subscriptions/{id}/resourceGroups/{rg}/providers/Microsoft.Network/dnsZones`
  with `api-version` required, `Authorization: Bearer` a token issued for this ARM
  (scope `{arm}/.default`), zones listed with `nextLink` paging, TXT record sets read,
  written (PUT, JSON, If-Match / If-None-Match on the ETag, 412 PreconditionFailed when
  they do not hold) and deleted (204 when already gone); errors `{"error": {code,
  message}}`.
"""

import secrets
import uuid
from urllib.parse import parse_qs

from .server import FakeApi, FakeRequest, FakeResponse

API_VERSION = "2018-05-01"
ZONES_PAGE_SIZE = 50


def arm_error(status: int, code: str, message: str) -> FakeResponse:
    return FakeResponse(status, {"error": {"code": code, "message": message}})


def entra_error(status: int, error: str, description: str, code: int) -> FakeResponse:
    trace = uuid.uuid4()
    body = {
        "error": error,
        "error_description": f"{description}\r\nTrace ID: {trace}\r\nCorrelation ID: "
        f"{uuid.uuid4()}",
        "error_codes": [code],
        "trace_id": str(trace),
    }
    return FakeResponse(status, body)


class FakeAzure(FakeApi):
    def __init__(self, *, subscription_id, tenant_id, client_id, client_secret, resource_group,
                 zones, bind=None):  # fmt: skip
        super().__init__()
        self.subscription_id, self.tenant_id = subscription_id, tenant_id
        self.client_id, self.client_secret = client_id, client_secret
        self.resource_group = resource_group
        self.zones = sorted(zones)
        self.record_sets: dict[tuple[str, str], dict] = {}  # (zone, relative) -> set
        self.tokens: dict[str, str] = {}  # access token -> the audience it was issued for
        self.url = ""  # set once served: the authority and ARM base URL
        self.bind = bind
        self.before_next_write = None  # a callable run once before a PUT or DELETE

    def failure_body(self):
        return {"error": {"code": "InternalServerError", "message": "try again"}}

    def txt_values(self, fqdn: str) -> list[str]:
        for (zone, relative), record_set in self.record_sets.items():
            if (zone if relative == "@" else f"{relative}.{zone}") == fqdn:
                return sorted(_joined(record_set))
        return []

    def put_txt(self, zone: str, relative: str, values: list[str]) -> None:
        """Another writer (the Azure portal, a colleague) sets the TXT set directly."""
        self._store(zone, relative, {"TTL": 3600, "TXTRecords": [{"value": [v]} for v in values]})

    def handle(self, request: FakeRequest) -> FakeResponse:
        parts = request.path.strip("/").split("/")
        if parts[1:] == ["v2.0", ".well-known", "openid-configuration"]:
            return self._discovery(parts[0])
        if parts[1:] == ["oauth2", "v2.0", "token"] and request.method == "POST":
            return self._token(parts[0], request)
        if parts[0] == "subscriptions":
            return self._arm(request, parts)
        return FakeResponse(404, {"error": "not_found"})

    # -- Entra ID --------------------------------------------------------------------

    def _unknown_tenant(self, tenant) -> FakeResponse:
        return entra_error(
            400,
            "invalid_request",
            f"AADSTS90002: Tenant '{tenant}' not found. Check to make sure you have the "
            "correct tenant ID and are signing into the correct cloud.",
            90002,
        )

    def _discovery(self, tenant):
        if tenant != self.tenant_id:
            return self._unknown_tenant(tenant)
        base = f"{self.url}/{tenant}"
        return FakeResponse(
            200,
            {
                "token_endpoint": f"{base}/oauth2/v2.0/token",
                "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
                "device_authorization_endpoint": f"{base}/oauth2/v2.0/devicecode",
                "issuer": f"{base}/v2.0",
                "token_endpoint_auth_methods_supported": [
                    "client_secret_post",
                    "private_key_jwt",
                    "client_secret_basic",
                ],
                "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
                "tenant_region_scope": "EU",
            },
        )

    def _token(self, tenant, request):
        if tenant != self.tenant_id:
            return self._unknown_tenant(tenant)
        form = {key: values[-1] for key, values in parse_qs(request.body.decode()).items()}
        if form.get("grant_type") != "client_credentials":
            return entra_error(
                400,
                "unsupported_grant_type",
                "AADSTS70003: The app requested an unsupported grant type.",
                70003,
            )
        if form.get("client_id") != self.client_id:
            return entra_error(
                400,
                "unauthorized_client",
                f"AADSTS700016: Application with identifier '{form.get('client_id')}' was not "
                f"found in the directory '{tenant}'.",
                700016,
            )
        if form.get("client_secret") != self.client_secret:
            return entra_error(
                401,
                "invalid_client",
                "AADSTS7000215: Invalid client secret provided. Ensure the secret being sent "
                "in the request is the client secret value, not the client secret ID, for a "
                f"secret added to app '{self.client_id}'.",
                7000215,
            )
        if form.get("scope") != f"{self.url}/.default":
            return entra_error(
                400,
                "invalid_resource",
                f"AADSTS500011: The resource principal named {form.get('scope')} was not "
                f"found in the tenant named {tenant}.",
                500011,
            )
        token = secrets.token_urlsafe(24)
        self.tokens[token] = self.url
        return FakeResponse(
            200,
            {
                "token_type": "Bearer",
                "expires_in": 3599,
                "ext_expires_in": 3599,
                "access_token": token,
            },
        )

    # -- Resource Manager ----------------------------------------------------------

    def _arm(self, request, parts):
        token = request.headers.get("authorization", "").removeprefix("Bearer ")
        if self.tokens.get(token) != self.url:
            return arm_error(401, "InvalidAuthenticationToken", "The access token is invalid.")
        version = request.query.get("api-version")
        if version is None:
            return arm_error(
                400,
                "MissingApiVersionParameter",
                "The api-version query parameter (?api-version=) is required for all requests.",
            )
        if version != API_VERSION:
            return arm_error(
                400,
                "InvalidApiVersionParameter",
                f"The api-version '{version}' "
                f"is invalid. The supported versions are '{API_VERSION}'.",
            )
        if parts[1] != self.subscription_id:
            return arm_error(
                404, "SubscriptionNotFound", f"The subscription '{parts[1]}' could not be found."
            )
        if len(parts) < 4 or parts[2] != "resourceGroups" or parts[3] != self.resource_group:
            group = parts[3] if len(parts) > 3 else ""
            return arm_error(
                404, "ResourceGroupNotFound", f"Resource group '{group}' could not be found."
            )
        rest = parts[4:]
        if (
            rest[:2] != ["providers", "Microsoft.Network"]
            or len(rest) < 3
            or (rest[2].lower() != "dnszones")
        ):
            return arm_error(404, "NotFound", "The requested resource does not exist.")
        if len(rest) == 3 and request.method == "GET":
            return self._list_zones(request)
        if len(rest) == 6 and rest[4] == "TXT":
            zone, relative = rest[3], rest[5]
            if zone not in self.zones:
                return arm_error(
                    404,
                    "ParentResourceNotFound",
                    f"Can not perform requested "
                    f"operation on nested resource. Parent resource '{zone}' not "
                    "found.",
                )
            return self._txt(request, zone, relative)
        return arm_error(404, "NotFound", "The requested resource does not exist.")

    def _zone_id(self, zone):
        return (
            f"/subscriptions/{self.subscription_id}/resourceGroups/{self.resource_group}"
            f"/providers/Microsoft.Network/dnszones/{zone}"
        )

    def _list_zones(self, request):
        start = int(request.query.get("$skiptoken", 0))
        chunk = self.zones[start : start + ZONES_PAGE_SIZE]
        body = {
            "value": [
                {"id": self._zone_id(zone), "name": zone, "type": "Microsoft.Network/dnszones",
                 "location": "global", "etag": "00000002-0000-0000-0000-000000000000",
                 "properties": {"maxNumberOfRecordSets": 10000, "numberOfRecordSets": 2,
                                "nameServers": ["ns1-01.azure-dns.com."], "zoneType": "Public"}}
                for zone in chunk
            ]
        }  # fmt: skip
        if start + ZONES_PAGE_SIZE < len(self.zones):
            body["nextLink"] = (
                f"{self.url}{request.path}?api-version={API_VERSION}"
                f"&$skiptoken={start + ZONES_PAGE_SIZE}"
            )
        return FakeResponse(200, body)

    def _shown(self, zone, relative, record_set):
        return {
            "id": f"{self._zone_id(zone)}/TXT/{relative}",
            "name": relative,
            "type": "Microsoft.Network/dnszones/TXT",
            "etag": record_set["etag"],
            "properties": {**record_set["properties"],
                           "fqdn": f"{zone}." if relative == "@" else f"{relative}.{zone}.",
                           "provisioningState": "Succeeded"},
        }  # fmt: skip

    def _txt(self, request, zone, relative):
        key = (zone, relative)
        current = self.record_sets.get(key)
        if request.method == "GET":
            if current is None:
                return arm_error(
                    404,
                    "NotFound",
                    f"The resource record '{relative}' does not "
                    f"exist in resource group '{self.resource_group}' of "
                    f"subscription '{self.subscription_id}'.",
                )
            return self._answer(200, zone, relative, current)
        if request.method not in ("PUT", "DELETE"):
            return arm_error(405, "MethodNotAllowed", "The requested method is not allowed.")
        if self.before_next_write is not None:
            run, self.before_next_write = self.before_next_write, None
            run()
            current = self.record_sets.get(key)
        if_match = request.headers.get("if-match")
        if if_match is not None and (current is None or if_match != current["etag"]):
            return arm_error(
                412,
                "PreconditionFailed",
                f"The Record set {relative} has been modified (etag mismatch).",
            )
        if request.method == "DELETE":
            if current is None:
                return FakeResponse(204)
            self._mirror(zone, relative, _joined(current), [])
            del self.record_sets[key]
            return FakeResponse(200)
        if request.headers.get("if-none-match") == "*" and current is not None:
            return arm_error(
                412,
                "PreconditionFailed",
                f"The Record set {relative} exists already and hence cannot be created again.",
            )
        if not request.headers.get("content-type", "").startswith("application/json"):
            return arm_error(
                415, "UnsupportedMediaType", "The content media type is not supported."
            )
        problem = _invalid_txt_set(request.json())
        if problem:
            return arm_error(400, "BadRequest", problem)
        stored = self._store(zone, relative, request.json()["properties"])
        return self._answer(201 if current is None else 200, zone, relative, stored)

    def _store(self, zone, relative, properties) -> dict:
        old = _joined(self.record_sets.get((zone, relative)))
        record_set = {
            "etag": str(uuid.uuid4()),
            "properties": {"TTL": properties["TTL"], "TXTRecords": properties["TXTRecords"],
                           "metadata": properties.get("metadata")},
        }  # fmt: skip
        self.record_sets[(zone, relative)] = record_set
        self._mirror(zone, relative, old, _joined(record_set))
        return record_set

    def _answer(self, status, zone, relative, record_set):
        return FakeResponse(
            status, self._shown(zone, relative, record_set), {"ETag": record_set["etag"]}
        )

    def _mirror(self, zone, relative, old, new):
        if not (self.bind and zone in self.bind.zones):
            return
        fqdn = zone if relative == "@" else f"{relative}.{zone}"
        for value in set(old) - set(new):
            self.bind.delete_txt(fqdn, value)
        for value in set(new) - set(old):
            self.bind.add_txt(fqdn, value)


def _joined(record_set) -> list[str]:
    if record_set is None:
        return []
    return ["".join(record["value"]) for record in record_set["properties"]["TXTRecords"]]


def _invalid_txt_set(body) -> str | None:
    properties = body.get("properties") if isinstance(body, dict) else None
    if not isinstance(properties, dict):
        return "The request body is missing 'properties'."
    if not isinstance(properties.get("TTL"), int) or not 0 <= properties["TTL"] <= 2147483647:
        return "The value for the record TTL is not valid."
    records = properties.get("TXTRecords")
    if not isinstance(records, list) or not records:
        return "The record set must contain at least one TXT record."
    for record in records:
        strings = record.get("value") if isinstance(record, dict) else None
        if not isinstance(strings, list) or not all(
            isinstance(text, str) and len(text) <= 255 for text in strings
        ):
            return "Each TXT record value must be a list of strings of at most 255 characters."
    return None
