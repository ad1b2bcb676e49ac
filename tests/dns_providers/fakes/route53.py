"""Route 53 as `moto` in server mode: real boto3 over HTTP, with moto's IAM check on
(INITIAL_NO_AUTH_ACTION_COUNT) so a wrong key is refused as AWS would refuse it."""

import base64
import contextlib
import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from xml.etree import ElementTree

import boto3
import requests

from tests.harness.process import ServiceProcess, free_port, port_accepts

MOTO_SERVER = Path(sys.executable).with_name("moto_server")
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
        """The Changes of every ChangeResourceRecordSets moto received while recording."""
        text = requests.get(f"{self.url}/moto-api/recorder/download-recording", timeout=5).text
        batches = []
        for line in filter(None, text.splitlines()):
            entry = json.loads(line)
            if entry["method"] != "POST" or not entry["url"].split("?")[0].rstrip("/").endswith(
                "/rrset"
            ):
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
                "values": [value.text for value in record_set.iter(f"{ROUTE53_NS}Value")],
            }
        )
    return changes


def start_moto_route53(workdir: Path, zones) -> MotoRoute53:
    port = free_port()
    env = {"MOTO_RECORDER_FILEPATH": str(workdir / "recording")}
    process = ServiceProcess(
        "moto_server",
        [str(MOTO_SERVER), "-H", "127.0.0.1", "-p", str(port)],
        workdir / "moto.log",
        env={**os.environ, **env},
    ).start()
    process.wait_ready(lambda: port_accepts(port))
    url = f"http://127.0.0.1:{port}"
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
