"""GoDaddy Domains API v1 (developer.godaddy.com/doc/endpoint/domains): sso-key auth,
domain list paginated by `limit` and `marker`, TXT sets read with GET and replaced
with PUT (a JSON array, TTL at least 600) or DELETE under
/v1/domains/{domain}/records/TXT/{name}; errors are {code, message}.

GoDaddy has no conditional write: a PUT replaces the list whatever it holds by then.
`line_up(n, write_gap_seconds)` reproduces n writers racing: the next n TXT reads are
answered together, and the next n writes are held until all have arrived, then applied
one after another `write_gap_seconds` apart, so every writer wrote from the same list
and a value is lost as it would be at GoDaddy."""

import threading
import time

from .server import FakeApi, FakeRequest, FakeResponse, LineUp


def failure(status: int, code: str, message: str, **extra) -> FakeResponse:
    return FakeResponse(status, {"code": code, "message": message, **extra})


class FakeGoDaddy(FakeApi):
    def __init__(self, *, api_key: str, api_secret: str, zones, bind=None):
        super().__init__()
        self.api_key, self.api_secret = api_key, api_secret
        self.records: dict[tuple[str, str], list[dict]] = {}
        self.zones = sorted(zones)
        self.bind = bind
        self.reads, self.writes = LineUp(), LineUp()
        self.write_gap_seconds = 0.0
        self.records_lock = threading.Lock()
        # Called after each write is applied, as another writer acting just then.
        self.after_each_write = None

    def line_up(self, parties: int, write_gap_seconds: float = 0.0) -> None:
        self.reads.arm(parties)
        self.writes.arm(parties)
        self.write_gap_seconds = write_gap_seconds

    def _wait_for_the_other_writers(self) -> None:
        place = self.writes.wait()
        if place:
            time.sleep(place * self.write_gap_seconds)

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
        if request.method == "GET":
            current = self.records.get((zone, name), [])
            self.reads.wait()
            return FakeResponse(200, [{**r, "name": name, "type": "TXT"} for r in current])
        if request.method == "PUT":
            if request.headers.get("content-type", "").split(";")[0] != "application/json":
                return failure(415, "UNSUPPORTED_MEDIA_TYPE", "Content-Type must be JSON")
            body = request.json()
            if not isinstance(body, list) or not all(
                isinstance(r, dict) and r.get("data") and r.get("ttl", 3600) >= 600 for r in body
            ):
                return failure(422, "INVALID_BODY", "Request body doesn't fulfill schema")
            self._wait_for_the_other_writers()
            new = [{"data": r["data"], "ttl": r.get("ttl", 3600)} for r in body]
            return self._replace(zone, name, new)
        if request.method == "DELETE":
            self._wait_for_the_other_writers()
            return self._replace(zone, name, [])
        return failure(405, "METHOD_NOT_ALLOWED", "method not allowed")

    def _replace(self, zone: str, name: str, new: list[dict]) -> FakeResponse:
        fqdn = zone if name == "@" else f"{name}.{zone}"
        with self.records_lock:
            current = self.records.get((zone, name), [])
            if not (new or current):
                return failure(404, "NOT_FOUND", "no records of that type and name")
            self._mirror(fqdn, current, new)
            if new:
                self.records[(zone, name)] = new
            else:
                del self.records[(zone, name)]
        if self.after_each_write:
            self.after_each_write(zone, name)
        return FakeResponse(200 if new else 204)

    def put_txt(self, zone: str, name: str, values: list[str]) -> None:
        """Replace the TXT list as another GoDaddy client would."""
        fqdn = zone if name == "@" else f"{name}.{zone}"
        new = [{"data": value, "ttl": 600} for value in values]
        with self.records_lock:
            self._mirror(fqdn, self.records.get((zone, name), []), new)
            self.records[(zone, name)] = new

    def _mirror(self, fqdn, old, new):
        if not (self.bind and any(fqdn.endswith(zone) for zone in self.bind.zones)):
            return
        old_values, new_values = {r["data"] for r in old}, {r["data"] for r in new}
        for value in old_values - new_values:
            self.bind.delete_txt(fqdn, value)
        for value in new_values - old_values:
            self.bind.add_txt(fqdn, value)
