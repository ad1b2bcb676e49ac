import pytest
import requests

from tests.harness.http01 import Http01TokenServer
from tests.harness.process import ReservedPort

pytestmark = pytest.mark.e2e


def test_serves_tokens_and_web_root_files_only(tmp_path):
    challenge_dir = tmp_path / ".well-known" / "acme-challenge"
    challenge_dir.mkdir(parents=True)
    (challenge_dir / "from-file").write_text("file-authorization")
    (tmp_path / "secret.txt").write_text("not for the CA")
    reserved = ReservedPort()  # as the session's HTTP-01 port: our server listens beside it
    port = reserved.port

    with (
        reserved,
        Http01TokenServer(port, tokens={"from-dict": "dict-authorization"}, web_root=tmp_path),
    ):
        base = f"http://127.0.0.1:{port}/.well-known/acme-challenge"
        assert requests.get(f"{base}/from-dict", timeout=5).text == "dict-authorization"
        assert requests.get(f"{base}/from-file", timeout=5).text == "file-authorization"
        assert requests.get(f"{base}/missing", timeout=5).status_code == 404
        assert requests.get(f"{base}/..%2F..%2Fsecret.txt", timeout=5).status_code == 404
        assert requests.get(f"http://127.0.0.1:{port}/secret.txt", timeout=5).status_code == 404
