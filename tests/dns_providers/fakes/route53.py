"""Route 53 as `moto` in server mode: real boto3 over HTTP, with moto's IAM check on
(INITIAL_NO_AUTH_ACTION_COUNT) so a wrong key is refused as AWS would refuse it, and
with Route 53's own change-batch rules, which moto lacks (moto_with_route53_rules.py)."""

import base64
import contextlib
import json
import os
import re
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from xml.etree import ElementTree

import boto3
import requests

from tests.harness.process import ServiceProcess, port_accepts

from .server import LineUp

MOTO_WITH_ROUTE53_RULES = Path(__file__).with_name("moto_with_route53_rules.py")
LISTENING = re.compile(r"Running on http://127\.0\.0\.1:(\d+)")
# Headers of one connection, not of the request: the forwarder sets its own.
HOP_HEADERS = {"content-length", "transfer-encoding", "connection", "content-encoding"}
ROUTE53_NS = "{https://route53.amazonaws.com/doc/2013-04-01/}"
POLICY = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "route53:*", "Resource": "*"}],
}


@dataclass
class MotoRoute53:
    url: str
    access_key_id: str
    secret_access_key: str
    process: ServiceProcess

    def client(self, service="route53"):
        return boto3.client(
            service,
            endpoint_url=self.url,
            region_name="us-east-1",
            aws_access_key_id=self.access_key_id,
            aws_secret_access_key=self.secret_access_key,
        )

    @contextlib.contextmanager
    def authentication_enforced(self):
        """moto checks keys and signatures only while this lasts. Not always: moto
        5.2 miscomputes the signature of a GET without a query string (it signs the
        headers as if they were the query), which would refuse every listing."""
        requests.post(f"{self.url}/moto-api/reset-auth", data=b"0", timeout=5)
        try:
            yield
        finally:
            requests.post(f"{self.url}/moto-api/reset-auth", data=b"inf", timeout=5)

    def start_recording(self):
        requests.post(f"{self.url}/moto-api/recorder/reset-recording", timeout=5)
        requests.post(f"{self.url}/moto-api/recorder/start-recording", timeout=5)

    def change_batches(self) -> list[list[dict]]:
        """The Changes of every ChangeResourceRecordSets moto received while recording,
        accepted or refused, in the order received."""
        text = requests.get(f"{self.url}/moto-api/recorder/download-recording", timeout=5).text
        batches = []
        for line in filter(None, text.splitlines()):
            entry = json.loads(line)
            if entry["method"] != "POST" or not _is_record_sets_path(entry["url"]):
                continue
            body = entry["body"]
            if entry["body_encoded"]:
                body = base64.b64decode(body).decode()
            # Our own boto3 request bodies, recorded by our own moto: trusted XML.
            batches.append(_changes(ElementTree.fromstring(body)))  # noqa: S314
        return batches


def _changes(root) -> list[dict]:
    changes = []
    for change in root.iter(f"{ROUTE53_NS}Change"):
        record_set = change.find(f"{ROUTE53_NS}ResourceRecordSet")
        changes.append(
            {
                "action": change.findtext(f"{ROUTE53_NS}Action"),
                "name": record_set.findtext(f"{ROUTE53_NS}Name"),
                "type": record_set.findtext(f"{ROUTE53_NS}Type"),
                "values": [value.text for value in record_set.iter(f"{ROUTE53_NS}Value")],
            }
        )
    return changes


def _listening_port(process: ServiceProcess) -> int | None:
    """The port moto's server says it bound (it was given port 0), once it says so."""
    match = LISTENING.search(process.this_run_log())
    return int(match[1]) if match else None


def start_moto_route53(workdir: Path, zones) -> MotoRoute53:
    env = {"MOTO_RECORDER_FILEPATH": str(workdir / "recording")}
    # Port 0: the server binds a port of the kernel's choice, so none can be taken first.
    process = ServiceProcess(
        "moto_server",
        [sys.executable, str(MOTO_WITH_ROUTE53_RULES), "-H", "127.0.0.1", "-p", "0"],
        workdir / "moto.log",
        env={**os.environ, **env},
    ).start()

    def answers() -> bool:
        port = _listening_port(process)
        return port is not None and port_accepts(port)

    process.wait_ready(answers)
    url = f"http://127.0.0.1:{_listening_port(process)}"
    iam = boto3.client(
        "iam", endpoint_url=url, region_name="us-east-1",
        aws_access_key_id="bootstrap", aws_secret_access_key="bootstrap",
    )  # fmt: skip
    iam.create_user(UserName="certlife")
    iam.put_user_policy(UserName="certlife", PolicyName="dns", PolicyDocument=json.dumps(POLICY))
    key = iam.create_access_key(UserName="certlife")["AccessKey"]
    moto = MotoRoute53(url, key["AccessKeyId"], key["SecretAccessKey"], process)
    route53 = moto.client()
    for zone in zones:
        route53.create_hosted_zone(Name=zone, CallerReference=zone)
    return moto


def _is_record_sets_path(path: str) -> bool:
    return path.split("?")[0].rstrip("/").endswith("/rrset")


class Route53Forwarder:
    """A pass-through in front of moto: the SDK sees moto's own answers, and moto still
    checks and records every request. `line_up_reads(n)` makes the next n record-set
    reads wait for one another, so n concurrent writers all start from the same set."""

    def __init__(self, moto: MotoRoute53):
        self.moto = moto
        self.reads = LineUp()
        # Accepted change batches reach `accepted` one at a time, in moto's order.
        self.batch_lock = threading.Lock()
        # Called before each change batch is passed on, as another writer acting just then.
        self.before_each_batch: Callable[[], object] | None = None
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc_info):
        self.httpd.shutdown()
        self.httpd.server_close()

    def line_up_reads(self, parties: int) -> None:
        self.reads.arm(parties)

    def accepted(self, changes: list[dict]) -> None:
        """Called with the changes of each batch moto accepted."""

    def forward(self, method: str, path: str, headers: dict, body: bytes) -> requests.Response:
        url = self.moto.url + path
        if method == "POST" and _is_record_sets_path(path):
            if self.before_each_batch:
                self.before_each_batch()
            with self.batch_lock:
                answer = requests.request(method, url, headers=headers, data=body, timeout=10)
                if answer.status_code == 200:
                    # Our own boto3 request, already accepted by moto: trusted XML.
                    self.accepted(_changes(ElementTree.fromstring(body)))  # noqa: S314
            return answer
        answer = requests.request(method, url, headers=headers, data=body, timeout=10)
        if method == "GET" and _is_record_sets_path(path):
            self.reads.wait()
        return answer

    def _handler(self):
        forwarder = self

        class Forward(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _forward(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                headers = {key: value for key, value in self.headers.items()
                           if key.lower() not in HOP_HEADERS}  # fmt: skip
                answer = forwarder.forward(self.command, self.path, headers, body)
                self.send_response(answer.status_code)
                for key, value in answer.headers.items():
                    if key.lower() not in HOP_HEADERS:
                        self.send_header(key, value)
                self.send_header("Content-Length", str(len(answer.content)))
                self.end_headers()
                self.wfile.write(answer.content)

            do_GET = do_POST = do_PUT = do_DELETE = _forward

            def log_message(self, format, *args):
                pass

        return Forward


class Route53BindMirror(Route53Forwarder):
    """Once moto has accepted a ChangeResourceRecordSets, applies its TXT changes to the
    harness BIND, so a record written "in Route 53" is served by the nameserver Pebble
    asks."""

    def __init__(self, moto: MotoRoute53, bind):
        super().__init__(moto)
        self.bind = bind

    def accepted(self, changes: list[dict]) -> None:
        for change in changes:
            name = change["name"].rstrip(".")
            if change["type"] != "TXT" or not any(
                name == zone or name.endswith("." + zone) for zone in self.bind.zones
            ):
                continue
            if change["action"] in ("UPSERT", "DELETE"):
                self.bind.delete_txt(name)
            if change["action"] in ("UPSERT", "CREATE"):
                for value in change["values"]:
                    self.bind.add_txt(name, value.strip('"'))
