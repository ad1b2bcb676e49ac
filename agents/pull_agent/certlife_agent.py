"""certlife pull agent (docs/features.md V4): a stand-alone program for an end server that
certlife cannot reach inbound (Windows with IIS, or a Linux server behind a firewall).

It polls certlife over HTTPS with its own token, publishes and removes HTTP-01 tokens in
its web root, installs certificates (Windows: PFX into LocalMachine\\My and the IIS
binding; Linux: certificate, chain, full-chain and key files, key 0600, atomic rename,
optional test and reload commands, rollback on failure) and reports each job's result.

Standard library only; Python 3.9 or newer. Commands:

    python certlife_agent.py run        poll in the foreground (Ctrl-C stops)
    python certlife_agent.py check      one poll: exit 0 when certlife accepts the token
    python certlife_agent.py install    register the service and start it
    python certlife_agent.py start | stop | uninstall

On Linux the service is a systemd unit. On Windows it is a scheduled task that runs at
start-up as SYSTEM and restarts on failure: a plain Python script cannot answer the
Service Control Manager without pywin32, so `sc.exe create` would give a service that
Windows kills after 30 seconds (error 1053). The configuration is certlife-agent.json
next to this file (or --config); the commands run for an install come from that file,
never from certlife.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import logging
import os
import random
import re
import shlex
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from pathlib import Path

AGENT_VERSION = "1"
UNIT_NAME = "certlife-agent.service"
TASK_NAME = "CertlifeAgent"
DEFAULT_UNIT_PATH = "/etc/systemd/system/" + UNIT_NAME
DEFAULT_IIS_WEB_ROOT = "C:\\inetpub\\wwwroot"
CONFIG_NAME = "certlife-agent.json"

HTTP_TIMEOUT_SECONDS = 30
MAX_RESPONSE_BYTES = 2 * 1024 * 1024
MAX_BACKOFF_SECONDS = 600
MAX_OUTPUT_CHARS = 8000
COMMAND_TIMEOUT_SECONDS = 120
# An ACME token is base64url (RFC 8555 section 8.1): nothing else becomes a file name.
ACME_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,255}")
MAX_KEY_AUTHORIZATION = 512
IIS_SITE_NAME = re.compile(r"[^'\r\n]{1,200}")

log = logging.getLogger("certlife-agent")


class AgentError(Exception):
    """A job that could not be done; the message goes back to certlife as its error."""


class RolledBack(AgentError):
    """An install failed and the previous files were put back."""


class TokenRefused(Exception):
    """certlife answered 401 or 403: the token is revoked, replaced or wrong."""


@dataclass
class Config:
    server_url: str
    token: str
    web_root: str = ""
    poll_seconds: int = 30
    ca_bundle: str = ""
    # Linux install layout (the same files as the SSH deploy); empty = not written.
    certificate_path: str = ""
    chain_path: str = ""
    fullchain_path: str = ""
    key_path: str = ""
    file_mode: str = "0644"
    key_mode: str = "0600"
    test_command: str = ""
    reload_command: str = ""
    # Windows: the HTTPS port of the IIS binding.
    iis_port: int = 443
    unit_path: str = DEFAULT_UNIT_PATH
    log_level: str = "INFO"
    extra: dict[str, str] = field(default_factory=dict)

    def __repr__(self) -> str:  # never print the token
        return f"Config(server_url={self.server_url!r}, web_root={self.web_root!r})"


def load_config(path: Path) -> Config:
    """Read certlife-agent.json; unknown keys and a non-HTTPS server are refused."""
    values = json.loads(Path(path).read_text(encoding="utf-8"))
    known = {f.name for f in fields(Config)} - {"extra"}
    unknown = sorted(set(values) - known)
    if unknown:
        raise ValueError(f"{path}: unknown settings {', '.join(unknown)}")
    config = Config(**values)
    if not config.server_url.startswith("https://"):
        raise ValueError(f"{path}: server_url must start with https:// (the token travels in it)")
    if not config.token:
        raise ValueError(f"{path}: token is empty")
    if not 1 <= int(config.poll_seconds) <= 3600:
        raise ValueError(f"{path}: poll_seconds must be from 1 to 3600")
    return config


# --- talking to certlife -------------------------------------------------------------


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A redirect would carry the Authorization header elsewhere: refuse it."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):  # type: ignore[override]
        raise urllib.error.HTTPError(req.full_url, code, "redirect refused", headers, fp)


class CertlifeClient:
    """The agent API of certlife: GET jobs, POST a job's result. TLS is verified against
    the system's trust store, or `ca_bundle` when set."""

    def __init__(self, config: Config):
        self.base_url = config.server_url.rstrip("/")
        self._token = config.token
        context = ssl.create_default_context(cafile=config.ca_bundle or None)
        self._opener = urllib.request.build_opener(
            urllib.request.HTTPSHandler(context=context), _NoRedirect()
        )

    def _call(self, method: str, path: str, body: dict | None = None) -> dict:
        data = None if body is None else json.dumps(body).encode("utf-8")
        # base_url is https:// (load_config refuses anything else).
        request = urllib.request.Request(self.base_url + path, data=data, method=method)  # noqa: S310
        request.add_header("Authorization", "Bearer " + self._token)
        request.add_header("Accept", "application/json")
        request.add_header("User-Agent", f"certlife-agent/{AGENT_VERSION}")
        if data is not None:
            request.add_header("Content-Type", "application/json")
        try:
            with self._opener.open(request, timeout=HTTP_TIMEOUT_SECONDS) as response:
                raw = response.read(MAX_RESPONSE_BYTES + 1)
        except urllib.error.HTTPError as error:
            if error.code in (401, 403):
                raise TokenRefused(f"certlife answered HTTP {error.code}") from None
            raise
        if len(raw) > MAX_RESPONSE_BYTES:
            raise ValueError(f"certlife's answer is larger than {MAX_RESPONSE_BYTES} bytes")
        return json.loads(raw.decode("utf-8")) if raw else {}

    def jobs(self) -> list[dict]:
        return list(self._call("GET", "/api/v1/agent/jobs/").get("jobs", []))

    def report(self, job_id: int, result: dict) -> None:
        self._call("POST", f"/api/v1/agent/jobs/{int(job_id)}/result/", result)


# --- HTTP-01 tokens ------------------------------------------------------------------


def token_file(web_root: str, token: str) -> Path:
    if not ACME_TOKEN.fullmatch(token or ""):
        raise AgentError("the job's HTTP-01 token is not a base64url token")
    if not web_root:
        raise AgentError("no web root is configured for HTTP-01 tokens")
    return Path(web_root) / ".well-known" / "acme-challenge" / token


def publish_token(web_root: str, token: str, content: str) -> str:
    if not content or len(content) > MAX_KEY_AUTHORIZATION or "\n" in content:
        raise AgentError("the job's key authorization is empty, too long or not one line")
    path = token_file(web_root, token)
    path.parent.mkdir(parents=True, exist_ok=True)
    _write_atomically(path, content.encode("ascii"), 0o644)
    return f"published {path}"


def remove_token(web_root: str, token: str) -> str:
    path = token_file(web_root, token)
    try:
        path.unlink()
    except FileNotFoundError:
        return f"{path} was already gone"
    return f"removed {path}"


# --- installing a certificate on Linux (and any POSIX system) -----------------------


def _write_atomically(path: Path, content: bytes, mode: int) -> None:
    """Write a temporary file beside `path` with `mode`, then rename it over `path`."""
    descriptor, temporary = tempfile.mkstemp(dir=str(path.parent), prefix=f".{path.name}.")
    try:
        os.chmod(temporary, mode)
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise


def planned_files(config: Config, job: dict) -> list[tuple[Path, bytes, int]]:
    """The (path, content, mode) to write for an install job, from the configured paths."""
    certificate = _pem(job, "certificate_pem")
    chain = _pem(job, "chain_pem", required=False)
    key = _pem(job, "key_pem")
    file_mode, key_mode = int(config.file_mode, 8), int(config.key_mode, 8)
    wanted = [
        (config.certificate_path, certificate, file_mode),
        (config.chain_path, chain, file_mode),
        (config.fullchain_path, certificate + chain, file_mode),
        (config.key_path, key, key_mode),
    ]
    plan = [(Path(path), text.encode("ascii"), mode) for path, text, mode in wanted if path]
    if not config.key_path or not (config.certificate_path or config.fullchain_path):
        raise AgentError(
            "certlife-agent.json needs key_path and certificate_path or fullchain_path "
            "to install a certificate"
        )
    return plan


def _pem(job: dict, name: str, required: bool = True) -> str:
    text = job.get(name) or ""
    if required and "-----BEGIN " not in text:
        raise AgentError(f"the job has no {name}")
    if text and not text.endswith("\n"):
        text += "\n"
    return text


def run_command(command: str) -> tuple[int, str]:
    """Run a configured command (no shell) and return its exit status and output."""
    argv = shlex.split(command) if os.name != "nt" else command
    try:
        done = subprocess.run(
            argv,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            timeout=COMMAND_TIMEOUT_SECONDS,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        return 127, f"{command}: {error}"
    return done.returncode, done.stdout.decode("utf-8", "replace")


def install_files(config: Config, plan: list[tuple[Path, bytes, int]]) -> str:
    """Put every file in place by rename, run the test and reload commands, and put the
    previous files back if anything fails. Returns the commands' output."""
    previous: dict[Path, tuple[bytes, int] | None] = {}
    for path, _, _ in plan:
        previous[path] = (path.read_bytes(), path.stat().st_mode & 0o777) if path.exists() else None
    output: list[str] = []
    try:
        for path, content, mode in plan:
            path.parent.mkdir(parents=True, exist_ok=True)
            _write_atomically(path, content, mode)
        for command in (config.test_command, config.reload_command):
            if not command:
                continue
            status, text = run_command(command)
            output.append(f"$ {command}\n{text}")
            if status != 0:
                raise AgentError(f"`{command}` failed with exit status {status}")
    except Exception as error:
        _restore(previous)
        if config.reload_command and isinstance(error, AgentError):
            _, text = run_command(config.reload_command)
            output.append(f"(rolled back) $ {config.reload_command}\n{text}")
        raise RolledBack(
            f"{error}; the previous files were put back\n" + "\n".join(output)
        ) from None
    return "\n".join(output + [f"installed {path}" for path, _, _ in plan])


def _restore(previous: dict[Path, tuple[bytes, int] | None]) -> None:
    for path, saved in previous.items():
        if saved is None:
            if path.exists():
                path.unlink()
        else:
            _write_atomically(path, saved[0], saved[1])


# --- installing a certificate on Windows (thin: command lines only) ------------------


def powershell(script: str) -> list[str]:
    return ["powershell.exe", "-NoProfile", "-NonInteractive", "-ExecutionPolicy", "Bypass",
            "-Command", script]  # fmt: skip


def ps_quote(text: str) -> str:
    """A PowerShell single-quoted string literal."""
    return "'" + text.replace("'", "''") + "'"


def certificate_thumbprint(certificate_pem: str) -> str:
    """The SHA-1 thumbprint Windows shows for a certificate, in upper-case hex."""
    body = certificate_pem.split("-----BEGIN CERTIFICATE-----", 1)[1]
    body = body.split("-----END CERTIFICATE-----", 1)[0]
    der = base64.b64decode("".join(body.split()))
    return hashlib.sha1(der).hexdigest().upper()  # noqa: S324 (Windows' own thumbprint)


def import_pfx_command(pfx_path: str) -> list[str]:
    """Import a PFX into LocalMachine\\My; the password comes from the environment
    variable CERTLIFE_PFX_PASSWORD, so it never appears on a command line."""
    return powershell(
        f"Import-PfxCertificate -FilePath {ps_quote(pfx_path)} "
        "-CertStoreLocation 'Cert:\\LocalMachine\\My' "
        "-Password (ConvertTo-SecureString -String $env:CERTLIFE_PFX_PASSWORD "
        "-AsPlainText -Force) | Out-Null"
    )


def iis_binding_command(site: str, thumbprint: str, port: int = 443) -> list[str]:
    """Create the site's HTTPS binding if missing and bind the certificate to it."""
    if not IIS_SITE_NAME.fullmatch(site):
        raise AgentError("the IIS site name is empty, too long or holds a quote")
    if not re.fullmatch(r"[0-9A-F]{40}", thumbprint):
        raise AgentError("not a certificate thumbprint")
    binding = f"-Name {ps_quote(site)} -Protocol https -Port {int(port)}"
    return powershell(
        "Import-Module WebAdministration; "
        f"if (-not (Get-WebBinding {binding})) {{ New-WebBinding {binding} }}; "
        f"(Get-WebBinding {binding}).AddSslCertificate({ps_quote(thumbprint)}, 'My')"
    )


def install_on_windows(config: Config, job: dict, runner: Callable = subprocess.run) -> str:
    pfx = base64.b64decode(job.get("pfx_base64") or "")
    if not pfx:
        raise AgentError("the job has no PFX")
    thumbprint = certificate_thumbprint(_pem(job, "certificate_pem"))
    output = []
    with tempfile.TemporaryDirectory() as directory:
        pfx_path = os.path.join(directory, "certificate.pfx")
        with open(pfx_path, "wb") as handle:
            handle.write(pfx)
        commands = [import_pfx_command(pfx_path)]
        if job.get("install_to_iis"):
            commands.append(iis_binding_command(job.get("site") or "", thumbprint, config.iis_port))
        env = dict(os.environ, CERTLIFE_PFX_PASSWORD=job.get("pfx_password") or "")
        for argv in commands:
            done = runner(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env,
                          timeout=COMMAND_TIMEOUT_SECONDS, check=False)  # fmt: skip
            output.append(done.stdout.decode("utf-8", "replace"))
            if done.returncode != 0:
                raise AgentError(f"{argv[-1][:80]}... failed: " + output[-1][-500:])
    return f"imported certificate {thumbprint} into LocalMachine\\My\n" + "\n".join(output)


# --- jobs ----------------------------------------------------------------------------


def handle_job(config: Config, job: dict) -> dict:
    """Do one job; the answer is what POST .../result/ takes."""
    kind = job.get("kind")
    web_root = config.web_root or job.get("web_root") or ""
    if not web_root and os.name == "nt":
        web_root = DEFAULT_IIS_WEB_ROOT
    try:
        if kind == "publish-http01":
            output = publish_token(web_root, job.get("token", ""), job.get("content", ""))
        elif kind == "remove-http01":
            output = remove_token(web_root, job.get("token", ""))
        elif kind == "install-certificate":
            if os.name == "nt":
                output = install_on_windows(config, job)
            else:
                output = install_files(config, planned_files(config, job))
        else:
            raise AgentError(f"this agent does not know jobs of kind {kind!r}")
    except RolledBack as error:
        return {"status": "rolled_back", "error": str(error)[:MAX_OUTPUT_CHARS], "output": ""}
    except (AgentError, OSError, ValueError) as error:
        return {"status": "failed", "error": str(error)[:MAX_OUTPUT_CHARS], "output": ""}
    return {"status": "succeeded", "error": "", "output": output[-MAX_OUTPUT_CHARS:]}


def poll_once(client: CertlifeClient, config: Config) -> int:
    """Fetch the pending jobs, do each and report it; how many there were."""
    jobs = client.jobs()
    for job in jobs:
        result = handle_job(config, job)
        log.info("job %s (%s): %s", job.get("id"), job.get("kind"), result["status"])
        if result["error"]:
            log.warning("job %s: %s", job.get("id"), result["error"].splitlines()[0])
        client.report(job["id"], result)
    return len(jobs)


def backoff_seconds(failures: int, poll_seconds: int) -> float:
    """Capped exponential backoff with jitter after `failures` failed polls in a row."""
    ceiling = min(MAX_BACKOFF_SECONDS, poll_seconds * 2 ** min(failures, 10))
    return ceiling / 2 + random.uniform(0, ceiling / 2)  # noqa: S311 (jitter, not secrecy)


def run_forever(config: Config) -> None:
    client = CertlifeClient(config)
    failures = 0
    log.info("polling %s every %s s", client.base_url, config.poll_seconds)
    while True:
        try:
            busy = poll_once(client, config)
            failures = 0
            delay = 0.5 if busy else config.poll_seconds
        except TokenRefused as refusal:
            failures += 1
            delay = backoff_seconds(failures, config.poll_seconds)
            log.error("%s: the token is revoked or replaced; download a new package", refusal)
        except (OSError, ValueError, KeyError) as error:
            failures += 1
            delay = backoff_seconds(failures, config.poll_seconds)
            log.warning("poll failed (%s: %s); next try in %.0f s",
                        type(error).__name__, error, delay)  # fmt: skip
        time.sleep(delay)


# --- the service: systemd on Linux, a scheduled task on Windows -----------------------


def systemd_unit(python: str, script: str, config_path: str) -> str:
    run = " ".join(shlex.quote(part) for part in (python, script, "run", "--config", config_path))
    return (
        "[Unit]\n"
        "Description=certlife pull agent\n"
        "Wants=network-online.target\n"
        "After=network-online.target\n\n"
        "[Service]\n"
        f"ExecStart={run}\n"
        "Restart=always\n"
        "RestartSec=10\n\n"
        "[Install]\n"
        "WantedBy=multi-user.target\n"
    )


def systemd_commands(action: str) -> list[list[str]]:
    """The systemctl command lines of an action (install writes the unit file first)."""
    return {
        "install": [["systemctl", "daemon-reload"], ["systemctl", "enable", "--now", UNIT_NAME]],
        "start": [["systemctl", "start", UNIT_NAME]],
        "stop": [["systemctl", "stop", UNIT_NAME]],
        "uninstall": [["systemctl", "disable", "--now", UNIT_NAME]],
    }[action]


def windows_task_commands(
    action: str, python: str, script: str, config_path: str
) -> list[list[str]]:
    """The PowerShell command lines of an action on the scheduled task."""
    task = ps_quote(TASK_NAME)
    arguments = f'"{script}" run --config "{config_path}"'
    register = (
        f"$action = New-ScheduledTaskAction -Execute {ps_quote(python)} "
        f"-Argument {ps_quote(arguments)} "
        f"-WorkingDirectory {ps_quote(os.path.dirname(script) or '.')}; "
        "$trigger = New-ScheduledTaskTrigger -AtStartup; "
        "$settings = New-ScheduledTaskSettingsSet -ExecutionTimeLimit ([TimeSpan]::Zero) "
        "-RestartCount 999 -RestartInterval (New-TimeSpan -Minutes 1) -StartWhenAvailable; "
        "$principal = New-ScheduledTaskPrincipal -UserId 'SYSTEM' -LogonType ServiceAccount "
        "-RunLevel Highest; "
        f"Register-ScheduledTask -TaskName {task} -Action $action -Trigger $trigger "
        "-Settings $settings -Principal $principal -Force | Out-Null"
    )
    start = powershell(f"Start-ScheduledTask -TaskName {task}")
    stop = powershell(f"Stop-ScheduledTask -TaskName {task}")
    return {
        "install": [powershell(register), start],
        "start": [start],
        "stop": [stop],
        "uninstall": [
            stop,
            powershell(f"Unregister-ScheduledTask -TaskName {task} -Confirm:$false"),
        ],
    }[action]


def manage_service(
    action: str, config: Config, config_path: Path, runner: Callable = subprocess.run
) -> None:
    python, script = sys.executable, str(Path(__file__).resolve())
    if os.name == "nt":
        commands = windows_task_commands(action, python, script, str(config_path.resolve()))
    else:
        unit = Path(config.unit_path)
        if action == "install":
            unit.write_text(systemd_unit(python, script, str(config_path.resolve())))
        commands = systemd_commands(action)
    for argv in commands:
        runner(argv, check=True)
    if os.name != "nt" and action == "uninstall":
        Path(config.unit_path).unlink(missing_ok=True)
        runner(["systemctl", "daemon-reload"], check=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="certlife_agent", description=__doc__.split("\n")[0])
    parser.add_argument(
        "command", choices=["run", "check", "install", "start", "stop", "uninstall"]
    )
    parser.add_argument(
        "--config", type=Path, default=Path(__file__).resolve().parent / CONFIG_NAME
    )
    arguments = parser.parse_args(argv)
    config = load_config(arguments.config)
    logging.basicConfig(level=config.log_level, format="%(asctime)s %(levelname)s %(message)s")
    if arguments.command == "run":
        try:
            run_forever(config)
        except KeyboardInterrupt:
            return 0
    if arguments.command == "check":
        try:
            count = poll_once(CertlifeClient(config), config)
        except TokenRefused as refusal:
            print(f"refused: {refusal}", file=sys.stderr)
            return 2
        except (OSError, ValueError) as error:
            print(f"could not reach certlife: {type(error).__name__}: {error}", file=sys.stderr)
            return 1
        print(f"certlife accepted the token; {count} job(s) done")
        return 0
    manage_service(arguments.command, config, arguments.config)
    return 0


if __name__ == "__main__":
    sys.exit(main())
