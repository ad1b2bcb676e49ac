"""A TLS server for the deploy tests, standing in for nginx: it serves the certificate
(full chain) and key files it is given, and reads them again on SIGHUP, as nginx does on
`nginx -s reload`. A reload whose files do not load keeps the previous ones, as nginx.

    python tls_reload_server.py PORT CERTIFICATE_FILE KEY_FILE PID_FILE
"""

import os
import signal
import socket
import ssl
import sys
from pathlib import Path


def load(certificate_file: str, key_file: str) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(certificate_file, key_file)
    return context


def main() -> None:
    port, certificate_file, key_file, pid_file = sys.argv[1:5]
    context = load(certificate_file, key_file)
    reload_asked = False

    def ask_reload(signum, frame):
        nonlocal reload_asked
        reload_asked = True

    signal.signal(signal.SIGHUP, ask_reload)
    listener = socket.create_server(("127.0.0.1", int(port)))
    listener.settimeout(0.1)
    Path(pid_file).write_text(f"{os.getpid()}\n")
    print(f"serving on {port}", flush=True)
    while True:
        if reload_asked:
            reload_asked = False
            try:
                context = load(certificate_file, key_file)
                print("reloaded", flush=True)
            except (OSError, ssl.SSLError) as error:
                print(f"reload failed, keeping the previous files: {error}", flush=True)
        try:
            connection, _ = listener.accept()
        except TimeoutError:
            continue
        connection.settimeout(5)
        try:
            with context.wrap_socket(connection, server_side=True):
                pass  # the handshake is all a client of this server asks for
        except (OSError, ssl.SSLError):
            connection.close()


if __name__ == "__main__":
    main()
