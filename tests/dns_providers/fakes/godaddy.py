"""GoDaddy Domains API v1 (developer.godaddy.com/doc/endpoint/domains): sso-key auth,
domain list paginated by `limit` and `marker`, TXT sets read with GET and replaced
with PUT (a JSON array, TTL at least 600) or DELETE under
/v1/domains/{domain}/records/TXT/{name}; errors are {code, message}."""

from .server import FakeApi, FakeRequest, FakeResponse


def failure(status: int, code: str, message: str, **extra) -> FakeResponse:
    return FakeResponse(status, {"code": code, "message": message, **extra})


class FakeGoDaddy(FakeApi):
    def __init__(self, *, api_key: str, api_secret: str, zones, bind=None):
        super().__init__()
        self.api_key, self.api_secret = api_key, api_secret
        self.records: dict[tuple[str, str], list[dict]] = {}
        self.zones = sorted(zones)
        self.bind = bind

    def failure_body(self):
        return {"code": "INTERNAL_SERVER_ERROR", "message": "try again"}

    def txt_values(self, fqdn: str) -> list[str]:
        for (zone, name), records in self.records.items():
            if (name + "." + zone if name != "@" else zone) == fqdn:
                return sorted(record["data"] for record in records)
        return []

    def handle(self, request: FakeRequest) -> FakeResponse:
        if request.headers.get("authorization") != f"sso-key {self.api_key}:{self.api_secret}":
            return failure(401, "UNABLE_TO_AUTHENTICATE", "Could not authenticate API key/secret")
        parts = request.path.strip("/").split("/")
        if parts == ["v1", "domains"] and request.method == "GET":
            return self._list_domains(request)
        if len(parts) == 6 and parts[:2] == ["v1", "domains"] and parts[3:5] == ["records", "TXT"]:
            zone, name = parts[2], parts[5]
            if zone not in self.zones:
                return failure(404, "UNKNOWN_DOMAIN", f"The given domain is not registered: {zone}")
            return self._txt(request, zone, name)
        return failure(404, "NOT_FOUND", "no such resource")

    def _list_domains(self, request):
        limit = int(request.query.get("limit", 1000))
        marker = request.query.get("marker", "")
        after = [zone for zone in self.zones if zone > marker]
        return FakeResponse(200, [{"domain": z, "status": "ACTIVE"} for z in after[:limit]])

    def _txt(self, request, zone, name):
        key = (zone, name)
        fqdn = zone if name == "@" else f"{name}.{zone}"
        current = self.records.get(key, [])
        if request.method == "GET":
            return FakeResponse(200, [{**r, "name": name, "type": "TXT"} for r in current])
        if request.method == "DELETE":
            if not current:
                return failure(404, "NOT_FOUND", "no records of that type and name")
            self._mirror(fqdn, current, [])
            del self.records[key]
            return FakeResponse(204)
        if request.method == "PUT":
            if request.headers.get("content-type", "").split(";")[0] != "application/json":
                return failure(415, "UNSUPPORTED_MEDIA_TYPE", "Content-Type must be JSON")
            body = request.json()
            if not isinstance(body, list) or not all(
                isinstance(r, dict) and r.get("data") and r.get("ttl", 3600) >= 600 for r in body
            ):
                return failure(422, "INVALID_BODY", "Request body doesn't fulfill schema")
            new = [{"data": r["data"], "ttl": r.get("ttl", 3600)} for r in body]
            self._mirror(fqdn, current, new)
            self.records[key] = new
            return FakeResponse(200)
        return failure(405, "METHOD_NOT_ALLOWED", "method not allowed")

    def _mirror(self, fqdn, old, new):
        if not (self.bind and any(fqdn.endswith(zone) for zone in self.bind.zones)):
            return
        old_values, new_values = {r["data"] for r in old}, {r["data"] for r in new}
        for value in old_values - new_values:
            self.bind.delete_txt(fqdn, value)
        for value in new_values - old_values:
            self.bind.add_txt(fqdn, value)
