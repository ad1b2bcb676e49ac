"""moto_server, keeping the change-batch rules Route 53 documents and moto 5.2 does not.

Route 53 (API reference, ChangeResourceRecordSets) applies a change batch all or
nothing, and refuses it with InvalidChangeBatch when a DELETE does not name a record
set exactly as it stands (same TTL, same values) or a CREATE names a set that already
exists. moto 5.2.5 instead accepts a DELETE matching any set the zone ever held, lets a
CREATE add a second set beside an existing one, refuses a CREATE whose exact twin it saw
once (even right after the same batch deleted the set), and runs concurrent batches
interleaved. Here each batch is checked against the sets as they stand, then applied
one change at a time through moto's own code, all under one lock that reads take too,
so a batch is atomic as Route 53's are.

Run as `python moto_with_route53_rules.py <moto_server arguments>`.
"""

import sys
import threading

from moto.route53.exceptions import Route53ClientError
from moto.route53.models import Route53Backend
from moto.server import main

zone_lock = threading.RLock()
moto_change_resource_record_sets = Route53Backend.change_resource_record_sets
moto_list_resource_record_sets = Route53Backend.list_resource_record_sets


class InvalidChangeBatch(Route53ClientError):
    def __init__(self, message: str):
        super().__init__("InvalidChangeBatch", f"[{message}]")


def set_key(name: str, record_type: str, set_identifier) -> tuple:
    return name.rstrip(".").lower(), record_type, set_identifier


def stored_sets(zone) -> dict[tuple, tuple]:
    """(name, type, set identifier) -> (TTL, sorted values) of every set in the zone."""
    return {
        set_key(record_set.name, record_set.type, record_set.set_identifier): (
            str(record_set.ttl),
            sorted(record_set.records or []),
        )
        for record_set in zone.rrsets
    }


def check_batch(zone, changes: list[dict]) -> None:
    """Raise InvalidChangeBatch as Route 53 would, replaying the batch on a copy."""
    sets = stored_sets(zone)
    for change in changes:
        record_set = change["ResourceRecordSet"]
        key = set_key(record_set["Name"], record_set["Type"], record_set.get("SetIdentifier"))
        given = (
            str(record_set.get("TTL")),
            sorted(record["Value"] for record in record_set.get("ResourceRecords") or []),
        )
        described = f"resource record set [name='{key[0]}.', type='{key[1]}']"
        if change["Action"] == "DELETE":
            if key not in sets:
                raise InvalidChangeBatch(f"Tried to delete {described} but it was not found")
            if sets[key] != given:
                raise InvalidChangeBatch(
                    f"Tried to delete {described} but the values provided do not match the "
                    "current values"
                )
            del sets[key]
        elif change["Action"] == "CREATE":
            if key in sets:
                raise InvalidChangeBatch(f"Tried to create {described} but it already exists")
            sets[key] = given
        else:
            sets[key] = given


def change_resource_record_sets(self, zoneid: str, change_list: list[dict]) -> None:
    with zone_lock:
        check_batch(self.get_hosted_zone(zoneid), change_list)
        for change in change_list:
            moto_change_resource_record_sets(self, zoneid, [change])


def list_resource_record_sets(self, *args, **kwargs):
    with zone_lock:
        return moto_list_resource_record_sets(self, *args, **kwargs)


Route53Backend.change_resource_record_sets = change_resource_record_sets  # type: ignore[method-assign]
Route53Backend.list_resource_record_sets = list_resource_record_sets  # type: ignore[method-assign]

if __name__ == "__main__":
    sys.exit(main())
