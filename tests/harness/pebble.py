"""Pebble, the test ACME CA, resolving names through the harness BIND."""

import json
import os
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import requests

from .http01 import Http01TokenServer
from .process import ServiceProcess, require_binary, start_on_free_ports
from .tls import write_server_certificate

PEBBLE = "/usr/bin/pebble"
REPO_ROOT = Path(__file__).resolve().parents[2]
BUILD_PEBBLE = REPO_ROOT / "scripts" / "build-pebble"


def vendored_pebble_binary() -> str:
    """The Pebble built from tests/harness/vendor/ (ARI, profiles, `replaces`), built
    offline by scripts/build-pebble on first use (make test builds it beforehand)."""
    built = subprocess.run(
        [str(BUILD_PEBBLE)], capture_output=True, text=True, timeout=600, check=False
    )
    if built.returncode != 0:
        import pytest

        pytest.fail(f"scripts/build-pebble failed:\n{built.stderr[-3000:]}", pytrace=False)
    return built.stdout.strip().splitlines()[-1]


@dataclass
class Pebble:
    directory_url: str
    management_url: str
    ca_bundle: str
    http_port: int
    tls_port: int
    strict: bool = False
    eab_mac_keys: dict[str, str] = field(default_factory=dict)
    process: ServiceProcess | None = field(default=None, repr=False)

    def _management_get(self, path: str) -> requests.Response:
        response = requests.get(self.management_url + path, verify=self.ca_bundle, timeout=5)
        response.raise_for_status()
        return response

    def http01_server(self, tokens=None, web_root=None) -> Http01TokenServer:
        """A token server on the port Pebble sends its HTTP-01 validations to."""
        return Http01TokenServer(self.http_port, tokens=tokens, web_root=web_root)

    def root_pem(self) -> str:
        return self._management_get("/roots/0").text

    def intermediate_pem(self) -> str:
        return self._management_get("/intermediates/0").text

    def set_renewal_info(self, certificate_pem: str, answer: str) -> None:
        """Make the vendored Pebble answer `answer` (any text, even bad JSON) to the ARI
        renewalInfo of this certificate (management POST /set-renewal-info/)."""
        response = requests.post(
            self.management_url + "/set-renewal-info/",
            json={"Certificate": certificate_pem, "ARIResponse": answer},
            verify=self.ca_bundle,
            timeout=5,
        )
        response.raise_for_status()

    def cert_status(self, serial_hex: str) -> dict:
        """Pebble's view of a certificate, {"Status": "Valid" | "Revoked", ...}; the serial
        in lowercase hex without leading zeros, as format(serial, "x") writes it."""
        return self._management_get(f"/cert-status-by-serial/{serial_hex}").json()


def start_pebble(
    workdir: Path,
    dns_server: str,
    *,
    http_port: int,
    strict: bool = False,
    nonce_reject: int = 0,
    authz_reuse: int | None = None,
    eab_mac_keys: dict[str, str] | None = None,
    config: dict | None = None,
    env: dict[str, str] | None = None,
    tls_files: tuple[Path, Path, Path] | None = None,
    vendored: bool = False,
    profiles: dict[str, int] | None = None,
) -> Pebble:
    """Start Pebble; `eab_mac_keys` ({kid: base64url key}) turns on required EAB, `config`
    adds raw Pebble config fields and `env` extra PEBBLE_* variables. `http_port` is where
    Pebble connects for HTTP-01 (a ReservedPort that test servers listen on); it and
    `tls_files` (ca, cert, key) may be shared between instances, so one worker
    environment fits them all. `vendored` runs the Pebble built from the vendored source
    instead of Debian's (2.4.0, no ARI nor profiles); `profiles` ({name: validity
    seconds}, vendored only) configures its profiles: name one in every order, as an
    order naming none gets a random one."""
    binary = vendored_pebble_binary() if vendored else PEBBLE
    require_binary(binary, "pebble")
    workdir = Path(workdir)
    ca_bundle, cert, key = tls_files or write_server_certificate(workdir)
    pebble_config = {
        "certificate": str(cert),
        "privateKey": str(key),
        "httpPort": http_port,
        "ocspResponderURL": "",
        "externalAccountBindingRequired": bool(eab_mac_keys),
        **({"externalAccountMACKeys": eab_mac_keys} if eab_mac_keys else {}),
        **(
            {
                "profiles": {
                    name: {"description": f"{seconds} s", "validityPeriod": seconds}
                    for name, seconds in profiles.items()
                }
            }
            if profiles
            else {}
        ),
        **(config or {}),
    }
    config_path = workdir / "pebble-config.json"
    process_env = {
        **os.environ,
        "PEBBLE_VA_NOSLEEP": "1",
        "PEBBLE_WFE_NONCEREJECT": str(nonce_reject),
        **({"PEBBLE_AUTHZREUSE": str(authz_reuse)} if authz_reuse is not None else {}),
        **(env or {}),
    }
    argv = [binary, "-config", str(config_path), "-dnsserver", dns_server]
    if strict:
        argv.append("-strict")

    def start_on(ports: list[int]) -> Pebble:
        # Pebble binds the ACME and management ports; tlsPort is only where it would
        # connect for TLS-ALPN-01, which certlife does not use.
        acme_port, management_port, tls_port = ports
        listen = {
            "listenAddress": f"127.0.0.1:{acme_port}",
            "managementListenAddress": f"127.0.0.1:{management_port}",
            "tlsPort": tls_port,
        }
        config_path.write_text(json.dumps({"pebble": {**listen, **pebble_config}}, indent=2))
        pebble = Pebble(
            directory_url=f"https://127.0.0.1:{acme_port}/dir",
            management_url=f"https://127.0.0.1:{management_port}",
            ca_bundle=str(ca_bundle),
            http_port=http_port,
            tls_port=tls_port,
            strict=strict,
            eab_mac_keys=dict(eab_mac_keys or {}),
        )
        pebble.process = ServiceProcess("pebble", argv, workdir / "pebble.log", env=process_env)
        pebble.process.start()
        pebble.process.wait_ready(lambda: _answers(pebble))
        return pebble

    return start_on_free_ports(start_on, count=3)


def _answers(pebble: Pebble) -> bool:
    """Pebble answers, with our TLS certificate: another run's server on the port fails
    the verification."""
    directory = requests.get(pebble.directory_url, verify=pebble.ca_bundle, timeout=1)
    return directory.ok and "newAccount" in directory.json() and bool(pebble.root_pem())
