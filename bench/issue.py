"""Issuance benchmark: certlife against a bare `acme` client and certbot, on one Pebble.

    .venv/bin/python bench/issue.py [--n 100] [--sequential 10] [--certbot 10]
        [--configs embedded,pg-1,pg-2] [--challenge dns-01]

Starts BIND9 and Pebble (Debian's, PEBBLE_VA_NOSLEEP=1) through the test harness, then,
for each product configuration, a fresh certlife (migrate, gunicorn as the Procfile
starts it, real Celery workers) and issues single-name EC P-256 certificates through
the REST API: `--sequential` one after another (latency, request to available) and
`--n` submitted at once (the batch). In the same run the same Pebble issues them to a
bare `acme`-library client written here (the floor: one after another, and 8 orders at
a time) and to certbot `certonly --standalone` one after another (installed by this
script in bench/.cache/certbot-venv: certbot pins its own acme). Only ratios within one
run mean anything on a shared machine.

Configurations: `embedded` is `make run`'s default (SQLite, the SQLite broker, one
worker with --concurrency=2); `pg-1` and `pg-2` are PostgreSQL + Redis with one and two
worker processes (`--pg-worker-concurrency` slots each).
"""

import argparse
import concurrent.futures
import datetime
import json
import os
import secrets
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import (
    CACHE,
    DEFAULT_POSTGRES,
    REPO_ROOT,
    VENV_PYTHON,
    Progress,
    machine_description,
    median,
    p95,
    ratio,
    table,
)

CERTBOT_VERSION = "5.8.0"
CERTBOT_VENV = CACHE / "certbot-venv"
BARE_CONCURRENCY = 8
PATIENCE_SECONDS = 600
DEFAULT_REDIS = "redis://127.0.0.1:6379/14"
CONFIGURATIONS = ("embedded", "pg-1", "pg-2")


@dataclass
class Result:
    """One tool in one configuration: latencies one after another and the batch."""

    name: str
    sequential: list[float] = field(default_factory=list)
    batch_size: int = 0
    batch_seconds: float = 0.0
    batch_latencies: list[float] = field(default_factory=list)
    failures: int = 0

    @property
    def per_certificate(self) -> float:
        """Batch seconds per certificate (the inverse of throughput)."""
        return self.batch_seconds / self.batch_size if self.batch_size else float("nan")


# ---------------------------------------------------------------- the services


class Services:
    """BIND9 and Pebble from the test harness, and the port Pebble sends HTTP-01 to."""

    def __init__(self, workdir: Path):
        from tests.harness.bind import start_bind
        from tests.harness.pebble import start_pebble
        from tests.harness.process import free_ports

        (workdir / "bind").mkdir()
        (workdir / "pebble").mkdir()
        self.bind = start_bind(workdir / "bind")
        self.http_port = free_ports(1)[0]
        self.pebble = start_pebble(
            workdir / "pebble",
            f"{self.bind.host}:{self.bind.port}",
            http_port=self.http_port,
            authz_reuse=0,  # every order validates, as for names seen for the first time
        )

    def stop(self):
        self.pebble.process.stop()
        self.bind.process.stop()


# ---------------------------------------------------------------- the bare client


class BareClient:
    """The floor: the `acme` library and nothing else, polling as soon as it may."""

    def __init__(self, services: Services, challenge: str):
        from acme import client, messages
        from cryptography.hazmat.primitives.asymmetric import ec
        from josepy import ES256, JWKEC

        from tests.harness.http01 import Http01TokenServer

        self.services = services
        self.challenge = challenge
        self.account_key = JWKEC(key=ec.generate_private_key(ec.SECP256R1()))
        self.local = threading.local()
        first = self._client(ES256, client)
        self.account = first.new_account(
            messages.NewRegistration.from_data(terms_of_service_agreed=True)
        )
        self.local.client = first
        first.net.account = self.account
        self.tokens = Http01TokenServer(services.http_port)

    def _client(self, alg, client_module):
        net = client_module.ClientNetwork(
            self.account_key, alg=alg, verify_ssl=self.services.pebble.ca_bundle
        )
        directory = client_module.ClientV2.get_directory(self.services.pebble.directory_url, net)
        return client_module.ClientV2(directory, net)

    def client(self):
        if getattr(self.local, "client", None) is None:
            from acme import client as client_module
            from josepy import ES256

            self.local.client = self._client(ES256, client_module)
            self.local.client.net.account = self.account
        return self.local.client

    def issue(self, name: str) -> float:
        """Issue one certificate for `name`; its latency in seconds."""
        from acme import challenges, crypto_util, messages
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import ec

        started = time.monotonic()
        client = self.client()
        key_pem = (
            ec.generate_private_key(ec.SECP256R1())
            .private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
            .decode()
        )
        csr_pem = crypto_util.make_csr(key_pem.encode(), [name])
        order = client.new_order(csr_pem)
        wanted = challenges.HTTP01 if self.challenge == "http-01" else challenges.DNS01
        published = []
        for authorization in order.authorizations:
            offered = authorization.body.challenges
            challenge = next(c for c in offered if isinstance(c.chall, wanted))
            response, validation = challenge.chall.response_and_validation(client.net.key)
            if self.challenge == "http-01":
                self.tokens.tokens[challenge.chall.encode("token")] = validation
            else:
                txt_name = challenge.chall.validation_domain_name(name)
                self.services.bind.add_txt(txt_name, validation)
                published.append((txt_name, validation))
            client.answer_challenge(challenge, response)
            self._poll(lambda a=authorization: client.poll(a)[0].body.status)
        order = client.begin_finalization(order)
        body = self._poll_order(client, order)
        chain = client._post_as_get(body.certificate).text  # noqa: SLF001 (as certlife does)
        elapsed = time.monotonic() - started
        for txt_name, validation in published:
            self.services.bind.delete_txt(txt_name, validation)
        if body.status != messages.STATUS_VALID or "BEGIN CERTIFICATE" not in chain:
            raise RuntimeError(f"{name}: no certificate")
        return elapsed

    @staticmethod
    def _poll(status_of) -> None:
        from acme import messages

        delay = 0.01
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            status = status_of()
            if status == messages.STATUS_VALID:
                return
            if status == messages.STATUS_INVALID:
                raise RuntimeError("authorization invalid")
            time.sleep(delay)
            delay = min(delay * 2, 1.0)
        raise RuntimeError("authorization not valid in 60 s")

    @staticmethod
    def _poll_order(client, order):
        from acme import messages

        delay = 0.01
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            response = client._post_as_get(order.uri)  # noqa: SLF001
            body = messages.Order.from_json(response.json())
            if body.status == messages.STATUS_VALID and body.certificate:
                return body
            if body.status == messages.STATUS_INVALID:
                raise RuntimeError("order invalid")
            time.sleep(delay)
            delay = min(delay * 2, 1.0)
        raise RuntimeError("order not valid in 60 s")


def run_bare(services, challenge, names, sequential, progress) -> Result:
    bare = BareClient(services, challenge)
    result = Result("bare acme")
    with bare.tokens:
        bare.issue(names("bare-warm", 0))
        for i in range(sequential):
            progress.show(f"[bare] one after another {i}/{sequential}")
            result.sequential.append(bare.issue(names("bare-seq", i)))
        count = names.batch
        started = time.monotonic()
        with concurrent.futures.ThreadPoolExecutor(BARE_CONCURRENCY) as pool:
            futures = [pool.submit(bare.issue, names("bare-batch", i)) for i in range(count)]
            for done, future in enumerate(concurrent.futures.as_completed(futures), 1):
                result.batch_latencies.append(future.result())
                progress.show(f"[bare] batch, {BARE_CONCURRENCY} at a time: {done}/{count}")
        result.batch_seconds = time.monotonic() - started
        result.batch_size = count
    progress.done(f"[bare] done: {count} + {sequential} certificates")
    return result


# ---------------------------------------------------------------- certbot


def certbot_executable(progress) -> Path:
    """certbot CERTBOT_VERSION in its own venv under bench/.cache (made once)."""
    certbot = CERTBOT_VENV / "bin" / "certbot"
    if certbot.exists():
        version = subprocess.run(
            [str(certbot), "--version"], capture_output=True, text=True, check=False
        )
        if CERTBOT_VERSION in version.stdout + version.stderr:
            return certbot
    progress.done(f"[certbot] installing certbot {CERTBOT_VERSION} into {CERTBOT_VENV}")
    CACHE.mkdir(parents=True, exist_ok=True)
    subprocess.run([sys.executable, "-m", "venv", "--clear", str(CERTBOT_VENV)], check=True)
    pip = [str(CERTBOT_VENV / "bin" / "pip"), "install", "--quiet", "--disable-pip-version-check"]
    subprocess.run([*pip, f"certbot=={CERTBOT_VERSION}"], check=True)
    return certbot


def run_certbot(services, names, count, workdir: Path, progress) -> Result:
    certbot = certbot_executable(progress)
    base = workdir / "certbot"
    argv = [
        str(certbot),
        "certonly",
        "--standalone",
        "--non-interactive",
        "--agree-tos",
        "--register-unsafely-without-email",
        "--server",
        services.pebble.directory_url,
        "--http-01-port",
        str(services.http_port),
        "--http-01-address",
        "127.0.0.1",
        "--key-type",
        "ecdsa",
        "--elliptic-curve",
        "secp256r1",
        "--config-dir",
        str(base / "config"),
        "--work-dir",
        str(base / "work"),
        "--logs-dir",
        str(base / "logs"),
    ]
    env = {**os.environ, "REQUESTS_CA_BUNDLE": services.pebble.ca_bundle}

    def issue(name: str) -> float:
        started = time.monotonic()
        subprocess.run([*argv, "-d", name], env=env, check=True, capture_output=True)
        return time.monotonic() - started

    result = Result(f"certbot {CERTBOT_VERSION}")
    issue(names("certbot-warm", 0))  # registers the account
    started = time.monotonic()
    for i in range(count):
        progress.show(f"[certbot] one after another {i}/{count}")
        result.sequential.append(issue(names("certbot", i)))
    result.batch_seconds, result.batch_size = time.monotonic() - started, count
    result.batch_latencies = list(result.sequential)
    progress.done(f"[certbot] done: {count} certificates")
    return result


# ---------------------------------------------------------------- certlife


def setup_product(directory_url: str, bind_host: str, bind_port: str, tsig_secret: str):
    """Run inside a configured certlife (`--setup-product`): an administrator with an
    API token, an ACME account at Pebble and an RFC 2136 DNS account on BIND."""
    import django

    django.setup()
    from django.contrib.auth import get_user_model

    from accounts.actions import register_account
    from certlife.actions import create_api_token
    from dns_providers.actions import create_dns_account
    from tests.harness.bind import TSIG_ALGORITHM, TSIG_KEY_NAME

    user = get_user_model().objects.create_user(
        "bench", password=secrets.token_urlsafe(), is_staff=True, is_superuser=True
    )
    account = register_account(
        actor=user, name="Pebble", email="bench@example.com", directory=directory_url,
        agree_tos=True,
    )  # fmt: skip
    dns_account = create_dns_account(
        provider="rfc2136",
        name="Bench BIND",
        credentials={
            "server": bind_host,
            "port": bind_port,
            "key_name": TSIG_KEY_NAME,
            "key_secret": tsig_secret,
            "algorithm": TSIG_ALGORITHM,
        },
        actor=user,
    )
    token = create_api_token(actor=user)
    print(json.dumps({"token": token, "account": account.pk, "dns_account": dns_account.pk}))


class Product:
    """One certlife: its database and broker, gunicorn on Pebble's HTTP-01 port (the
    built-in responder answers there) and its Celery workers."""

    def __init__(self, configuration: str, services: Services, workdir: Path, options):
        from tests.harness.process import ServiceProcess

        self.configuration = configuration
        self.services = services
        self.workdir = workdir / configuration
        (self.workdir / "data").mkdir(parents=True)
        tag = secrets.token_hex(4)
        self.database = ""
        self.env = {
            key: value
            for key, value in os.environ.items()
            if key not in ("DATABASE_URL", "CELERY_BROKER_URL", "CERTLIFE_CELERY_QUEUE")
        }
        bind = services.bind
        self.env.update(
            {
                "DJANGO_SETTINGS_MODULE": "certlife.settings",
                "CERTLIFE_DATA_DIR": str(self.workdir / "data"),
                "CERTLIFE_DNS_RESOLVER": f"{bind.host}:{bind.port}",
                "CERTLIFE_DNS_AUTHORITATIVE_PORT": str(bind.port),
                "CERTLIFE_HTTP01_PORT": str(services.http_port),
                "REQUESTS_CA_BUNDLE": services.pebble.ca_bundle,
                "CERTLIFE_ALLOWED_PRIVATE_NETWORKS": "127.0.0.0/8",
                "CERTLIFE_API_RATE": "1000000/minute",
                "PYTHONPATH": str(REPO_ROOT),
            }
        )
        workers = [("worker", ["--concurrency=2"])]  # the Procfile's
        if configuration.startswith("pg-"):
            self.database = f"certlife_bench_{tag}"
            base = options.postgres.rsplit("/", 1)[0]
            self.env["DATABASE_URL"] = f"{base}/{self.database}"
            self.env["CELERY_BROKER_URL"] = options.redis
            self.env["CERTLIFE_CELERY_QUEUE"] = f"certlife-bench-{tag}"
            self.admin_url = options.postgres
            slots = f"--concurrency={options.pg_worker_concurrency}"
            count = int(configuration.split("-")[1])
            workers = [(f"worker{i}", [slots]) for i in range(1, count + 1)]
        bin_dir = REPO_ROOT / ".venv" / "bin"
        self.processes = [
            ServiceProcess(
                "gunicorn",
                [
                    str(bin_dir / "gunicorn"),
                    "certlife.wsgi",
                    "--bind",
                    f"127.0.0.1:{services.http_port}",
                    "--workers",
                    "2",
                    "--threads",
                    "4",
                ],
                self.workdir / "web.log",
                env=self.env,
                cwd=REPO_ROOT,
            )  # fmt: skip
        ]
        for name, extra in workers:
            argv = [str(bin_dir / "celery"), "-A", "certlife", "worker", "--loglevel=INFO",
                    f"--hostname={name}-{tag}@%h", *extra]  # fmt: skip
            log = self.workdir / f"{name}.log"
            self.processes.append(ServiceProcess(name, argv, log, env=self.env, cwd=REPO_ROOT))
        self.base_url = f"http://127.0.0.1:{services.http_port}"
        self.ids: dict = {}
        self.session = None

    def manage(self, *args: str, capture=False) -> str:
        done = subprocess.run(
            [str(VENV_PYTHON), *args], env=self.env, cwd=REPO_ROOT, check=True,
            capture_output=True, text=True,
        )  # fmt: skip
        return done.stdout if capture else ""

    def start(self) -> None:
        import requests

        if self.database:
            self._admin_sql(f'CREATE DATABASE "{self.database}"')
        self.manage("manage.py", "migrate", "--noinput")
        bind, pebble = self.services.bind, self.services.pebble
        out = self.manage(
            str(Path(__file__).resolve()), "--setup-product", pebble.directory_url,
            bind.host, str(bind.port), bind.tsig_secret, capture=True,
        )  # fmt: skip
        self.ids = json.loads(out.strip().splitlines()[-1])
        for process in self.processes:
            process.start()
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Token {self.ids['token']}"
        self.processes[0].wait_ready(
            lambda: self.session.get(self.base_url + "/api/v1/requests/", timeout=2).ok
        )
        for process in self.processes[1:]:
            process.wait_ready(lambda p=process: " ready." in p.this_run_log())

    def stop(self) -> None:
        for process in self.processes:
            process.stop(timeout=10)
        if self.database:
            self._admin_sql(f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)')
        if "CERTLIFE_CELERY_QUEUE" in self.env:
            import redis

            queue = self.env["CERTLIFE_CELERY_QUEUE"]
            with redis.Redis.from_url(self.env["CELERY_BROKER_URL"]) as client:
                client.delete(queue, f"_kombu.binding.{queue}")

    def _admin_sql(self, statement: str) -> None:
        import psycopg

        with psycopg.connect(self.admin_url, autocommit=True) as connection:
            connection.execute(statement)

    def submit(self, name: str, challenge: str) -> tuple[int, float]:
        """POST the request; (its id, the wall-clock time just before)."""
        body = {
            "account": self.ids["account"],
            "domains": [name],
            "challenge_type": challenge,
            "key_algorithm": "EC",
            "key_size": 256,
            "signature_algorithm": "SHA256withECDSA",
            "keystore_type": "PEM",
        }
        if challenge == "dns-01":
            body["dns_account"] = self.ids["dns_account"]
        else:
            body["use_builtin_http_responder"] = True
        sent_at = time.time()
        response = self.session.post(self.base_url + "/api/v1/requests/", json=body, timeout=60)
        if response.status_code != 201:
            raise RuntimeError(f"POST /api/v1/requests/: {response.status_code} {response.text}")
        return response.json()["id"], sent_at

    def finished(self, tag: str) -> dict[int, dict]:
        """The requests whose names contain `tag` that are available or failed."""
        found, page = {}, 1
        while True:
            response = self.session.get(
                self.base_url + "/api/v1/requests/",
                params={"name": tag, "page_size": 500, "page": page},
                timeout=60,
            )
            response.raise_for_status()
            body = response.json()
            for item in body["results"]:
                if item["status"] in ("available", "failed"):
                    found[item["id"]] = item
            if not body.get("next"):
                return found
            page += 1

    def issue(self, names: list[str], challenge: str, progress, label: str, parallel: int):
        """Submit every name (`parallel` POSTs at a time) and wait for all; per id:
        (sent_at, the API body when finished)."""
        tag = names[0].split(".", 1)[0].rsplit("-", 1)[0]
        with concurrent.futures.ThreadPoolExecutor(parallel) as pool:
            submitted = dict(pool.map(lambda n: self.submit(n, challenge), names))
        deadline = time.monotonic() + PATIENCE_SECONDS
        done: dict[int, dict] = {}
        while len(done) < len(submitted):
            if time.monotonic() > deadline:
                raise RuntimeError(f"{label}: {len(done)}/{len(submitted)} finished in time")
            time.sleep(0.05 if len(names) == 1 else 0.25)
            done = self.finished(tag)
            progress.show(f"[{self.configuration}] {label}: {len(done)}/{len(names)} available")
        return {i: (sent_at, done[i]) for i, sent_at in submitted.items()}


def finished_at(body: dict) -> float:
    return datetime.datetime.fromisoformat(body["updated_at"]).timestamp()


def run_product(configuration, services, workdir, names, options, progress) -> Result:
    product = Product(configuration, services, workdir, options)
    result = Result(f"certlife {configuration}")
    progress.done(f"[{configuration}] starting certlife")
    product.start()
    try:
        challenge = options.challenge
        product.issue([names(f"{configuration}-warm", 0)], challenge, progress, "warm-up", 1)
        for i in range(options.sequential):
            label = f"one after another {i}/{options.sequential}"
            ((sent_at, body),) = product.issue(
                [names(f"{configuration}-seq{i}", 0)], challenge, progress, label, 1
            ).values()
            result.failures += body["status"] != "available"
            result.sequential.append(finished_at(body) - sent_at)
        batch = [names(f"{configuration}-batch", i) for i in range(options.n)]
        started = time.time()
        done = product.issue(batch, challenge, progress, "batch", BARE_CONCURRENCY)
        result.failures += sum(body["status"] != "available" for _, body in done.values())
        result.batch_latencies = [finished_at(body) - sent_at for sent_at, body in done.values()]
        result.batch_seconds = max(finished_at(body) for _, body in done.values()) - started
        result.batch_size = options.n
        progress.done(f"[{configuration}] done ({result.failures} failed)")
    finally:
        product.stop()
    return result


# ---------------------------------------------------------------- the run


class Names:
    """Unique names per run, so no order reuses another's authorization."""

    def __init__(self, batch: int):
        self.run = secrets.token_hex(3)
        self.batch = batch

    def __call__(self, kind: str, i: int) -> str:
        return f"{kind}-{self.run}-{i}.example.com"


def report(results: dict[str, Result], options, started: datetime.datetime) -> str:
    bare = results.get("bare")
    certbot = results.get("certbot")
    rows = []
    for key, result in results.items():
        seq_median = median(result.sequential)
        rows.append(
            [
                result.name,
                f"{seq_median:.3f}",
                f"{p95(result.sequential):.3f}",
                f"{result.batch_size}",
                f"{result.per_certificate:.3f}",
                f"{ratio(result.batch_size, result.batch_seconds):.1f}",
                f"{median(result.batch_latencies):.3f}",
                f"{ratio(seq_median, median(bare.sequential)):.1f}x" if bare else "-",
                f"{ratio(result.per_certificate, bare.per_certificate):.1f}x" if bare else "-",
                f"{ratio(certbot.per_certificate, result.per_certificate):.1f}x"
                if certbot and key not in ("bare", "certbot")
                else "-",
            ]
        )
    header = [
        "tool / configuration", "one: median s", "one: p95 s", "batch n", "batch s/cert",
        "certs/s", "batch latency median s", "one vs bare", "batch vs bare", "certbot / this",
    ]  # fmt: skip
    lines = [
        f"Issuance benchmark, {started:%Y-%m-%d %H:%M} UTC, {machine_description()}",
        f"Pebble (Debian, PEBBLE_VA_NOSLEEP=1), single-name EC P-256 certificates, "
        f"{options.challenge} for certlife and the bare client (HTTP-01 for certbot); "
        f"'one' = {options.sequential} one after another, batch = {options.n} submitted at "
        f"once (bare: {BARE_CONCURRENCY} at a time; certbot: one after another).",
        "",
        table(header, rows),
    ]
    if "pg-1" in results and "pg-2" in results:
        speedup = ratio(results["pg-1"].per_certificate, results["pg-2"].per_certificate)
        lines += ["", f"Two worker processes vs one (PostgreSQL + Redis): {speedup:.2f}x faster"]
    failures = sum(r.failures for r in results.values())
    if failures:
        lines += ["", f"WARNING: {failures} requests failed (see the worker logs)"]
    return "\n".join(lines)


def parse_options(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=100, help="certificates in a batch")
    parser.add_argument("--sequential", type=int, default=10, help="issued one after another")
    parser.add_argument("--certbot", type=int, default=10, help="certbot runs (0: none)")
    parser.add_argument(
        "--configs", default=",".join(CONFIGURATIONS), help="of " + ", ".join(CONFIGURATIONS)
    )
    parser.add_argument("--no-bare", action="store_true", help="skip the bare client")
    parser.add_argument("--challenge", choices=["dns-01", "http-01"], default="dns-01")
    parser.add_argument("--pg-worker-concurrency", type=int, default=1)
    parser.add_argument("--postgres", default=os.environ.get("BENCH_POSTGRES", DEFAULT_POSTGRES))
    parser.add_argument("--redis", default=os.environ.get("BENCH_REDIS", DEFAULT_REDIS))
    parser.add_argument("--keep", action="store_true", help="keep the work folder (logs)")
    return parser.parse_args(argv)


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "--setup-product":
        setup_product(*argv[1:])
        return 0
    options = parse_options(argv)
    configurations = [c for c in options.configs.split(",") if c]
    unknown = set(configurations) - set(CONFIGURATIONS)
    if unknown:
        sys.exit(f"unknown configurations: {', '.join(sorted(unknown))}")
    progress = Progress()
    started = datetime.datetime.now(datetime.UTC)
    workdir = Path(tempfile.mkdtemp(prefix="certlife-bench-"))
    names = Names(options.n)
    results: dict[str, Result] = {}
    progress.done(f"bench: work folder {workdir}; starting BIND9 and Pebble")
    services = Services(workdir)
    try:
        if options.certbot:
            certbot_executable(progress)  # before any timing: installing takes a while
        if not options.no_bare:
            results["bare"] = run_bare(
                services, options.challenge, names, options.sequential, progress
            )
        for configuration in configurations:
            results[configuration] = run_product(
                configuration, services, workdir, names, options, progress
            )
        if options.certbot:
            results["certbot"] = run_certbot(services, names, options.certbot, workdir, progress)
    finally:
        services.stop()
        if not options.keep:
            subprocess.run(["rm", "-rf", str(workdir)], check=False)
    print(report(results, options, started))
    return 0


if __name__ == "__main__":
    sys.exit(main())
