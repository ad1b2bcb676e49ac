"""The stand-alone pull agent, piece by piece (docs/features.md V4): its Windows and
systemd command lines (built, never run here), its HTTP-01 token files and its Linux
install with rollback (run for real on this machine's files and commands)."""

import base64
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes

from agents.pull_agent import certlife_agent as agent
from tests.factories import make_key_pem
from tests.harness.tls import write_server_certificate


@pytest.fixture
def pems(tmp_path):
    ca, certificate, _ = write_server_certificate(tmp_path, dns_names=("agent.example.com",))
    return {
        "certificate_pem": certificate.read_text(),
        "chain_pem": ca.read_text(),
        "key_pem": make_key_pem(),
    }


def config_for(tmp_path, **values) -> agent.Config:
    return agent.Config(server_url="https://certlife.example.net", token="secret", **values)


# --- Windows command lines -------------------------------------------------------------


def test_pfx_import_goes_to_localmachine_my_with_the_password_from_the_environment():
    argv = agent.import_pfx_command("C:\\Temp\\it's.pfx")
    assert argv[:6] == [
        "powershell.exe", "-NoProfile", "-NonInteractive", "-ExecutionPolicy", "Bypass", "-Command",
    ]  # fmt: skip
    script = argv[6]
    assert script.startswith("Import-PfxCertificate -FilePath 'C:\\Temp\\it''s.pfx' ")
    assert "-CertStoreLocation 'Cert:\\LocalMachine\\My'" in script
    assert "ConvertTo-SecureString -String $env:CERTLIFE_PFX_PASSWORD" in script
    assert len(argv) == 7


def test_iis_binding_creates_the_https_binding_when_missing_and_binds_the_thumbprint():
    thumbprint = "AB" * 20
    script = agent.iis_binding_command("Default Web Site", thumbprint, 8443)[-1]
    binding = "-Name 'Default Web Site' -Protocol https -Port 8443"
    assert script == (
        "Import-Module WebAdministration; "
        f"if (-not (Get-WebBinding {binding})) {{ New-WebBinding {binding} }}; "
        f"(Get-WebBinding {binding}).AddSslCertificate('{thumbprint}', 'My')"
    )


@pytest.mark.parametrize("site", ["", "it's", "a\nb", "x" * 201])
def test_iis_site_names_that_could_break_the_script_are_refused(site):
    with pytest.raises(agent.AgentError):
        agent.iis_binding_command(site, "AB" * 20)


def test_thumbprint_is_the_sha1_windows_shows(pems):
    certificate = x509.load_pem_x509_certificate(pems["certificate_pem"].encode())
    expected = certificate.fingerprint(hashes.SHA1()).hex().upper()  # noqa: S303
    assert agent.certificate_thumbprint(pems["certificate_pem"]) == expected


def test_windows_service_is_a_startup_task_as_system_that_never_times_out():
    python, script, config = "C:\\Python312\\python.exe", "C:\\certlife\\a.py", "C:\\c\\b.json"
    install = agent.windows_task_commands("install", python, script, config)
    register = install[0][-1]
    assert "New-ScheduledTaskAction -Execute 'C:\\Python312\\python.exe'" in register
    assert '-Argument \'"C:\\certlife\\a.py" run --config "C:\\c\\b.json"\'' in register
    assert "New-ScheduledTaskTrigger -AtStartup" in register
    assert "-ExecutionTimeLimit ([TimeSpan]::Zero)" in register
    assert "New-ScheduledTaskPrincipal -UserId 'SYSTEM'" in register
    assert "Register-ScheduledTask -TaskName 'CertlifeAgent'" in register
    assert install[1][-1] == "Start-ScheduledTask -TaskName 'CertlifeAgent'"
    assert [c[-1] for c in agent.windows_task_commands("stop", python, script, config)] == [
        "Stop-ScheduledTask -TaskName 'CertlifeAgent'"
    ]
    assert [c[-1] for c in agent.windows_task_commands("uninstall", python, script, config)] == [
        "Stop-ScheduledTask -TaskName 'CertlifeAgent'",
        "Unregister-ScheduledTask -TaskName 'CertlifeAgent' -Confirm:$false",
    ]


def test_windows_install_runs_the_import_then_the_binding_with_the_password_in_env(pems):
    ran = []

    def runner(argv, **options):
        ran.append((argv, options["env"]["CERTLIFE_PFX_PASSWORD"]))
        pfx_path = argv[-1].split("'")[1] if "Import-Pfx" in argv[-1] else None
        if pfx_path:
            assert Path(pfx_path).read_bytes() == b"pfx bytes"
        return subprocess.CompletedProcess(argv, 0, stdout=b"ok")

    job = {
        **pems,
        "pfx_base64": base64.b64encode(b"pfx bytes").decode(),
        "pfx_password": "pfx-pass",
        "install_to_iis": True,
        "site": "Shop",
    }
    config = config_for(None)
    output = agent.install_on_windows(config, job, runner=runner)
    assert [password for _, password in ran] == ["pfx-pass", "pfx-pass"]
    assert "Import-PfxCertificate" in ran[0][0][-1]
    assert "-Name 'Shop' -Protocol https -Port 443" in ran[1][0][-1]
    assert all("pfx-pass" not in part for argv, _ in ran for part in argv)
    assert agent.certificate_thumbprint(pems["certificate_pem"]) in output


# --- systemd ---------------------------------------------------------------------------


def test_systemd_install_writes_the_unit_then_reloads_and_enables_it(tmp_path):
    unit_path = tmp_path / "certlife-agent.service"
    config = config_for(tmp_path, unit_path=str(unit_path))
    ran = []
    agent.manage_service(
        "install", config, tmp_path / "my agent.json", runner=lambda a, **k: ran.append(a)
    )
    unit = unit_path.read_text()
    assert f"ExecStart={sys.executable} " in unit
    assert f"certlife_agent.py run --config '{tmp_path}/my agent.json'" in unit
    assert "Restart=always" in unit and "WantedBy=multi-user.target" in unit
    assert ran == [
        ["systemctl", "daemon-reload"],
        ["systemctl", "enable", "--now", "certlife-agent.service"],
    ]
    ran.clear()
    agent.manage_service(
        "uninstall", config, tmp_path / "a.json", runner=lambda a, **k: ran.append(a)
    )
    assert ran == [
        ["systemctl", "disable", "--now", "certlife-agent.service"],
        ["systemctl", "daemon-reload"],
    ]
    assert not unit_path.exists()
    assert agent.systemd_commands("start") == [["systemctl", "start", "certlife-agent.service"]]
    assert agent.systemd_commands("stop") == [["systemctl", "stop", "certlife-agent.service"]]


# --- configuration and HTTP-01 tokens --------------------------------------------------


def test_config_refuses_plain_http_and_unknown_settings(tmp_path):
    path = tmp_path / "certlife-agent.json"
    path.write_text(json.dumps({"server_url": "http://certlife.example.net", "token": "t"}))
    with pytest.raises(ValueError, match="https://"):
        agent.load_config(path)
    path.write_text(json.dumps({"server_url": "https://c", "token": "t", "shell": "rm"}))
    with pytest.raises(ValueError, match="unknown settings shell"):
        agent.load_config(path)
    assert "secret" not in repr(config_for(tmp_path))


def test_tokens_are_published_and_removed_only_inside_the_web_root(tmp_path):
    config = config_for(tmp_path, web_root=str(tmp_path / "www"))
    done = agent.handle_job(config, {"kind": "publish-http01", "token": "abc_-1", "content": "x.y"})
    assert done["status"] == "succeeded"
    assert (tmp_path / "www/.well-known/acme-challenge/abc_-1").read_text() == "x.y"
    for token in ["../escape", "a/b", "", "..", "a b"]:
        refused = agent.handle_job(
            config, {"kind": "publish-http01", "token": token, "content": "x"}
        )
        assert refused["status"] == "failed", token
    assert not (tmp_path / "escape").exists()
    removed = agent.handle_job(config, {"kind": "remove-http01", "token": "abc_-1"})
    assert removed["status"] == "succeeded"
    assert not (tmp_path / "www/.well-known/acme-challenge/abc_-1").exists()
    again = agent.handle_job(config, {"kind": "remove-http01", "token": "abc_-1"})
    assert again["status"] == "succeeded" and "already gone" in again["output"]


# --- Linux install ---------------------------------------------------------------------


def linux_config(tmp_path, **values) -> agent.Config:
    site = tmp_path / "site"
    return config_for(
        tmp_path,
        certificate_path=str(site / "cert.pem"),
        chain_path=str(site / "chain.pem"),
        fullchain_path=str(site / "fullchain.pem"),
        key_path=str(site / "key.pem"),
        **values,
    )


def test_linux_install_writes_the_ssh_layout_with_a_private_key_file(tmp_path, pems):
    marker = tmp_path / "reloaded"
    config = linux_config(tmp_path, test_command="true", reload_command=f"touch {marker}")
    done = agent.handle_job(config, {"kind": "install-certificate", **pems})
    assert done["status"] == "succeeded", done
    site = tmp_path / "site"
    assert (site / "cert.pem").read_text() == pems["certificate_pem"]
    assert (site / "chain.pem").read_text() == pems["chain_pem"]
    assert (site / "fullchain.pem").read_text() == pems["certificate_pem"] + pems["chain_pem"]
    assert (site / "key.pem").read_text() == pems["key_pem"]
    assert os.stat(site / "key.pem").st_mode & 0o777 == 0o600
    assert os.stat(site / "cert.pem").st_mode & 0o777 == 0o644
    assert marker.exists()
    assert sorted(p.name for p in site.iterdir()) == [
        "cert.pem",
        "chain.pem",
        "fullchain.pem",
        "key.pem",
    ]  # fmt: skip (no temporary file left)


def test_a_failing_test_command_puts_the_previous_files_back(tmp_path, pems):
    site = tmp_path / "site"
    site.mkdir()
    (site / "cert.pem").write_text("old certificate\n")
    (site / "key.pem").write_text("old key\n")
    os.chmod(site / "key.pem", 0o600)
    config = linux_config(tmp_path, test_command="sh -c 'echo config broken; exit 3'")
    done = agent.handle_job(config, {"kind": "install-certificate", **pems})
    assert done["status"] == "rolled_back"
    assert "exit status 3" in done["error"] and "config broken" in done["error"]
    assert (site / "cert.pem").read_text() == "old certificate\n"
    assert (site / "key.pem").read_text() == "old key\n"
    assert not (site / "chain.pem").exists() and not (site / "fullchain.pem").exists()


def test_backoff_grows_and_is_capped():
    assert 5 <= agent.backoff_seconds(1, 10) <= 20
    assert agent.backoff_seconds(50, 10) <= agent.MAX_BACKOFF_SECONDS


def test_check_against_an_unreachable_certlife_says_so_without_a_traceback(tmp_path, closed_port):
    config = {"server_url": f"https://127.0.0.1:{closed_port}", "token": "cla_secret-token"}
    (tmp_path / "certlife-agent.json").write_text(json.dumps(config))
    done = subprocess.run(
        [sys.executable, "-I", "-S", agent.__file__, "check", "--config",
         str(tmp_path / "certlife-agent.json")],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 1
    assert done.stderr.startswith("could not reach certlife: URLError")
    assert "Traceback" not in done.stderr and "cla_secret-token" not in done.stderr
