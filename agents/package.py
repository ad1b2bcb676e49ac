"""The pull agent package (docs/features.md V4): a zip with the agent program, its
configuration (certlife's URL and a fresh token), install scripts for a Windows
scheduled task and a systemd unit, and a README."""

import io
import json
import zipfile
from pathlib import Path

AGENT_SOURCE = Path(__file__).resolve().parent / "pull_agent" / "certlife_agent.py"
FOLDER = "certlife-agent"
PYTHON_NEEDED = "Python 3.9 or newer (64-bit or 32-bit alike), standard library only"

INSTALL_CMD = """@echo off
rem Run in an elevated Command Prompt: registers and starts the certlife agent task.
python "%~dp0certlife_agent.py" install --config "%~dp0certlife-agent.json"
"""
UNINSTALL_CMD = """@echo off
python "%~dp0certlife_agent.py" uninstall --config "%~dp0certlife-agent.json"
"""
INSTALL_PS1 = """# Run in an elevated PowerShell: registers and starts the certlife agent task.
$here = Split-Path -Parent $MyInvocation.MyCommand.Path
$config = Join-Path $here 'certlife-agent.json'
python (Join-Path $here 'certlife_agent.py') install --config $config
"""
INSTALL_SH = """#!/bin/sh
# Run as root: writes /etc/systemd/system/certlife-agent.service, enables and starts it.
set -e
here=$(cd "$(dirname "$0")" && pwd)
exec python3 "$here/certlife_agent.py" install --config "$here/certlife-agent.json"
"""

README = f"""certlife pull agent
===================

Needs {PYTHON_NEEDED}. The agent
polls certlife over HTTPS, publishes HTTP-01 tokens in its web root and installs
certificates; see the top of certlife_agent.py.

certlife-agent.json holds certlife's address and this agent's token. The token in this
package REPLACED the agent's previous token when it was downloaded: an agent still
running an older package is refused from now on. Keep the file readable only by the
administrator (and SYSTEM / root).

Settings: web_root (empty: the mapping's web root, on Windows C:\\inetpub\\wwwroot by
default), ca_bundle (a PEM file when certlife's certificate is from a private CA),
poll_seconds; on Linux certificate_path, chain_path, fullchain_path, key_path (key
0600), file_mode, key_mode, test_command (e.g. "nginx -t") and reload_command (e.g.
"systemctl reload nginx"): files are replaced atomically and put back when a command
fails. On Windows a certificate is imported into LocalMachine\\My and, when the
mapping says so, bound to its IIS site (iis_port, 443 by default).

Windows (elevated prompt): install.cmd or install.ps1, which run
    python certlife_agent.py install
It registers a scheduled task "CertlifeAgent" that starts at boot as SYSTEM and
restarts on failure (a Python script cannot be a Windows service without pywin32).
    python certlife_agent.py start | stop | uninstall

Linux (as root): sh install-systemd.sh, which writes the systemd unit
certlife-agent.service, then runs systemctl daemon-reload and enable --now.
    python3 certlife_agent.py start | stop | uninstall

Try it first in the foreground:  python certlife_agent.py check   (or run)
"""


def agent_configuration(server_url: str, token: str) -> dict:
    """certlife-agent.json; every setting the agent knows, with its default."""
    return {
        "server_url": server_url.rstrip("/"),
        "token": token,
        "web_root": "",
        "poll_seconds": 30,
        "ca_bundle": "",
        "certificate_path": "",
        "chain_path": "",
        "fullchain_path": "",
        "key_path": "",
        "file_mode": "0644",
        "key_mode": "0600",
        "test_command": "",
        "reload_command": "",
        "iis_port": 443,
    }


def build_package(server_url: str, token: str) -> bytes:
    """The zip, in memory (a few kilobytes)."""
    files = {
        "certlife_agent.py": AGENT_SOURCE.read_text(),
        "certlife-agent.json": json.dumps(agent_configuration(server_url, token), indent=2),
        "install.cmd": INSTALL_CMD.replace("\n", "\r\n"),
        "uninstall.cmd": UNINSTALL_CMD.replace("\n", "\r\n"),
        "install.ps1": INSTALL_PS1,
        "install-systemd.sh": INSTALL_SH,
        "README.txt": README,
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in files.items():
            info = zipfile.ZipInfo(f"{FOLDER}/{name}", date_time=(2020, 1, 1, 0, 0, 0))
            info.external_attr = (0o755 if name.endswith((".py", ".sh")) else 0o600) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, text)
    return buffer.getvalue()
