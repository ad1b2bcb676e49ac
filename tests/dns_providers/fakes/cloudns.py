"""ClouDNS HTTP API (www.cloudns.net/wiki/article/41/ and the articles it links): calls
under /dns/<call>.json taking GET or form-POST parameters, credentials among them
(auth-id, sub-auth-id or sub-auth-user, and auth-password); every failure is HTTP 200
with {"status": "Failed", "statusDescription": ...}. `records.json` answers an object
keyed by record ID (scalars as strings, `status` an int) or [] when empty; the apex
host is ""; TTLs come from a fixed list; rows-per-page is 10, 20, 30, 50 or 100."""

import itertools
from urllib.parse import parse_qs

from .server import FakeApi, FakeRequest, FakeResponse

ALLOWED_TTLS = {60, 300, 900, 1800, 3600, 21600, 43200, 86400, 172800, 259200, 604800,
                1209600, 2592000}  # fmt: skip
ROWS_PER_PAGE = {10, 20, 30, 50, 100}
RECORD_TYPES = {"A", "AAAA", "MX", "CNAME", "TXT", "SPF", "NS", "SRV", "CAA", "PTR"}
BAD_MAIN_LOGIN = "Invalid authentication, incorrect auth-id or auth-password."
BAD_SUB_LOGIN = "Invalid authentication, incorrect sub-auth-id, sub-auth-user or auth-password."


def failed(description: str) -> FakeResponse:
    return FakeResponse(200, {"status": "Failed", "statusDescription": description})


def success(description: str, **extra) -> FakeResponse:
    return FakeResponse(200, {"status": "Success", "statusDescription": description, **extra})


class FakeClouDns(FakeApi):
    def __init__(self, *, auth_id, sub_auth_id, sub_auth_user, password, zones, bind=None):
        super().__init__()
        self.auth_id, self.password = auth_id, password
        self.sub_auth_id, self.sub_auth_user = sub_auth_id, sub_auth_user
        self.zones = sorted(zones)
        self.records: dict[str, dict[str, dict]] = {zone: {} for zone in self.zones}
        self.ids = itertools.count(5769228)
        self.bind = bind
        self.blocked_requests = 0

    def block_next(self, times: int = 1):
        """The next `times` calls hit the per-IP rate limit (HTTP 200, status Failed)."""
        self.blocked_requests += times

    def failure_body(self):
        return {"status": "Failed", "statusDescription": "Internal error"}

    def txt_values(self, fqdn: str) -> list[str]:
        return sorted(
            record["record"]
            for zone, records in self.records.items()
            for record in records.values()
            if record["type"] == "TXT" and _fqdn(record["host"], zone) == fqdn
        )

    def parameters(self, request: FakeRequest) -> dict[str, str]:
        found = dict(request.query)
        if request.body:
            form = parse_qs(request.body.decode(), keep_blank_values=True)
            found.update({key: values[-1] for key, values in form.items()})
        return found

    def _login_failure(self, params) -> FakeResponse | None:
        logins = [key for key in ("auth-id", "sub-auth-id", "sub-auth-user") if key in params]
        if not logins:
            return failed("Wrong or missing required parameter 'auth-id'.")
        if len(logins) > 1:
            return failed(BAD_MAIN_LOGIN)
        expected = {
            "auth-id": self.auth_id,
            "sub-auth-id": self.sub_auth_id,
            "sub-auth-user": self.sub_auth_user,
        }[logins[0]]
        if params[logins[0]] != expected or params.get("auth-password") != self.password:
            return failed(BAD_MAIN_LOGIN if logins[0] == "auth-id" else BAD_SUB_LOGIN)
        return None

    def handle(self, request: FakeRequest) -> FakeResponse:
        if request.method not in ("GET", "POST"):
            return FakeResponse(405, {"status": "Failed", "statusDescription": "Bad method"})
        if (
            request.method == "POST"
            and request.body
            and not request.headers.get("content-type", "").startswith(
                "application/x-www-form-urlencoded"
            )
        ):
            return failed("Wrong or missing required parameter 'auth-id'.")
        params = self.parameters(request)
        refused = self._login_failure(params)
        if refused:
            return refused
        if self.blocked_requests:
            self.blocked_requests -= 1
            return failed("Request blocked. 127.0.0.1 is sending more than 20 requests per second.")
        call = {
            "/dns/login.json": self._login,
            "/login/login.json": self._login,
            "/dns/list-zones.json": self._list_zones,
            "/dns/get-pages-count.json": self._pages_count,
            "/dns/records.json": self._list_records,
            "/dns/add-record.json": self._add_record,
            "/dns/delete-record.json": self._delete_record,
        }.get(request.path)
        if call is None:
            return failed("Invalid request.")
        return call(params)

    def _login(self, params):
        return success("Success login.")

    def _page_size(self, params) -> int | None:
        try:
            size = int(params.get("rows-per-page", ""))
        except ValueError:
            return None
        return size if size in ROWS_PER_PAGE else None

    def _list_zones(self, params):
        if not params.get("page", "").isdigit() or int(params["page"]) < 1:
            return failed("Missing required parameter 'page'.")
        size = self._page_size(params)
        if size is None:
            return failed("Wrong or missing required parameter 'rows-per-page'.")
        start = (int(params["page"]) - 1) * size
        chunk = self.zones[start : start + size]
        return FakeResponse(
            200,
            [{"name": zone, "type": "master", "zone": "domain", "status": "1"} for zone in chunk],
        )

    def _pages_count(self, params):
        size = self._page_size(params)
        if size is None:
            return failed("Wrong or missing required parameter 'rows-per-page'.")
        return FakeResponse(200, -(-len(self.zones) // size))

    def _list_records(self, params):
        zone = params.get("domain-name", "")
        if zone not in self.records:
            return failed("Missing domain-name")
        found = {
            record_id: record
            for record_id, record in self.records[zone].items()
            if params.get("host", record["host"]) == record["host"]
            and params.get("type", record["type"]) == record["type"]
        }
        return FakeResponse(200, found or [])

    def _add_record(self, params):
        zone = params.get("domain-name", "")
        if zone not in self.records:
            return failed("Missing domain-name")
        if params.get("record-type") not in RECORD_TYPES:
            return failed("This record type is not supported.")
        if not params.get("ttl", "").isdigit() or int(params["ttl"]) not in ALLOWED_TTLS:
            return failed("Invalid TTL. Choose from the list of the values we support.")
        if "host" not in params or not params.get("record"):
            return failed("Wrong or missing required parameter 'record'.")
        record_id = str(next(self.ids))
        record = {"id": record_id, "type": params["record-type"], "host": params["host"],
                  "record": params["record"], "failover": "0", "ttl": params["ttl"],
                  "status": 1}  # fmt: skip
        self.records[zone][record_id] = record
        if self.bind and record["type"] == "TXT" and zone in self.bind.zones:
            self.bind.add_txt(_fqdn(record["host"], zone), record["record"])
        return success("The record was added successfully.", data={"id": int(record_id)})

    def _delete_record(self, params):
        zone = params.get("domain-name", "")
        if zone not in self.records:
            return failed("Missing domain-name")
        record = self.records[zone].pop(params.get("record-id", ""), None)
        if record is None:
            return failed("Invalid record-id param.")
        if self.bind and record["type"] == "TXT" and zone in self.bind.zones:
            self.bind.delete_txt(_fqdn(record["host"], zone), record["record"])
        return success("The record was deleted successfully.")


def _fqdn(host: str, zone: str) -> str:
    return f"{host}.{zone}" if host else zone
