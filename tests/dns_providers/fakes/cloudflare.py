"""Cloudflare API v4 (developers.cloudflare.com/api): the envelope
{success, errors, messages, result}, Bearer-token or X-Auth-Email/X-Auth-Key auth,
paginated zone list (per_page 5..50), DNS records under /zones/{id}/dns_records."""

import uuid

from .server import FakeApi, FakeRequest, FakeResponse

PREFIX = "/client/v4"


def envelope(result, **extra):
    return {"success": True, "errors": [], "messages": [], "result": result, **extra}


def failure(status: int, code: int, message: str) -> FakeResponse:
    body = {"success": False, "errors": [{"code": code, "message": message}], "messages": []}
    return FakeResponse(status, body)


class FakeCloudflare(FakeApi):
    def __init__(self, *, api_token: str, email: str, api_key: str, zones, bind=None):
        super().__init__()
        self.api_token, self.email, self.api_key = api_token, email, api_key
        self.zones = {uuid.uuid4().hex: name for name in zones}
        self.records: dict[str, list[dict]] = {zone_id: [] for zone_id in self.zones}
        self.bind = bind

    def failure_body(self):
        return {"success": False, "errors": [{"code": 10001, "message": "service unavailable"}]}

    def txt_values(self, fqdn: str) -> list[str]:
        return sorted(
            record["content"]
            for records in self.records.values()
            for record in records
            if record["name"] == fqdn and record["type"] == "TXT"
        )

    def _authentication_failure(self, request: FakeRequest) -> FakeResponse | None:
        authorization = request.headers.get("authorization")
        if authorization is not None:
            if not authorization.startswith("Bearer "):
                return failure(400, 6003, "Invalid request headers")
            if authorization != f"Bearer {self.api_token}":
                return failure(403, 10000, "Authentication error")
            return None
        if "x-auth-email" in request.headers or "x-auth-key" in request.headers:
            given = (request.headers.get("x-auth-email"), request.headers.get("x-auth-key"))
            if given != (self.email, self.api_key):
                return failure(403, 9103, "Unknown X-Auth-Key or X-Auth-Email")
            return None
        return failure(400, 9106, "Missing X-Auth-Email or X-Auth-Key headers")

    def handle(self, request: FakeRequest) -> FakeResponse:
        if not request.path.startswith(PREFIX):
            return failure(404, 7000, "No route for that URI")
        path = request.path.removeprefix(PREFIX).strip("/").split("/")
        if path == ["user", "tokens", "verify"]:
            if request.headers.get("authorization") != f"Bearer {self.api_token}":
                return failure(401, 1000, "Invalid API Token")
            return FakeResponse(200, envelope({"id": "token-id", "status": "active"}))
        refused = self._authentication_failure(request)
        if refused:
            return refused
        if request.method in ("POST", "PUT", "PATCH") and not request.headers.get(
            "content-type", ""
        ).startswith("application/json"):
            return failure(
                400, 6105, "Invalid Content-Type header, valid values are application/json"
            )
        if path == ["user"] and request.method == "GET":
            return FakeResponse(200, envelope({"id": "user-id", "email": self.email}))
        if path == ["zones"] and request.method == "GET":
            return self._list_zones(request)
        if len(path) >= 3 and path[0] == "zones" and path[2] == "dns_records":
            if path[1] not in self.zones:
                return failure(
                    400, 7003, "Could not route, perhaps your object identifier is invalid?"
                )
            return self._records(request, path[1], path[3] if len(path) > 3 else None)
        return failure(404, 7000, "No route for that URI")

    def _list_zones(self, request):
        page = int(request.query.get("page", 1))
        per_page = int(request.query.get("per_page", 20))
        if not 5 <= per_page <= 50:
            return failure(400, 1001, "per_page must be between 5 and 50")
        names = sorted(self.zones.items(), key=lambda item: item[1])
        total_pages = max(1, -(-len(names) // per_page))
        chunk = names[(page - 1) * per_page : page * per_page]
        result = [{"id": zone_id, "name": name, "status": "active"} for zone_id, name in chunk]
        info = {"page": page, "per_page": per_page, "count": len(result),
                "total_count": len(names), "total_pages": total_pages}  # fmt: skip
        return FakeResponse(200, envelope(result, result_info=info))

    def _records(self, request, zone_id, record_id):
        records = self.records[zone_id]
        if request.method == "GET" and record_id is None:
            found = [
                record
                for record in records
                if request.query.get("type", record["type"]) == record["type"]
                and request.query.get("name", record["name"]) == record["name"]
            ]
            info = {"page": 1, "per_page": 100, "count": len(found), "total_count": len(found),
                    "total_pages": 1}  # fmt: skip
            # The API hands TXT content back quoted.
            shown = [{**record, "content": f'"{record["content"]}"'} for record in found]
            return FakeResponse(200, envelope(shown, result_info=info))
        if request.method == "POST" and record_id is None:
            return self._create(request, zone_id)
        if request.method == "DELETE" and record_id is not None:
            record = next((r for r in records if r["id"] == record_id), None)
            if record is None:
                return failure(404, 81044, "Record does not exist.")
            records.remove(record)
            if self.bind and self.zones[zone_id] in self.bind.zones:
                self.bind.delete_txt(record["name"], record["content"])
            return FakeResponse(200, envelope({"id": record_id}))
        return failure(405, 10405, "Method not allowed")

    def _create(self, request, zone_id):
        body = request.json()
        zone = self.zones[zone_id]
        missing = [key for key in ("type", "name", "content") if not body.get(key)]
        if missing:
            return failure(400, 9000, f"DNS record invalid: {', '.join(missing)} required")
        name = body["name"]
        if not (name == zone or name.endswith("." + zone)):
            return failure(400, 9007, "Content for record is invalid: name not in zone")
        ttl = body.get("ttl", 1)
        if ttl != 1 and not 60 <= ttl <= 86400:
            return failure(
                400, 9021, "Invalid TTL. Must be between 60 and 86400 or 1 for automatic"
            )
        if any(r["name"] == name and r["type"] == body["type"] and r["content"] == body["content"]
               for r in self.records[zone_id]):  # fmt: skip
            return failure(400, 81058, "An identical record already exists.")
        record = {"id": uuid.uuid4().hex, "type": body["type"], "name": name,
                  "content": body["content"], "ttl": ttl, "zone_id": zone_id}  # fmt: skip
        self.records[zone_id].append(record)
        if self.bind and zone in self.bind.zones:
            self.bind.add_txt(name, body["content"])
        return FakeResponse(200, envelope(record))
