"""HTTPS with certificates made by the openssl command, as users make them: a self-signed
certificate trusted through `ca_file` or `REQUESTS_CA_BUNDLE`, and refused (at once, unretried,
with nothing printed) when nobody said to trust it. The TLS server runs here, in front of the
reference server."""

import http.server
import os
import shutil
import ssl
import subprocess
import sys
import threading
import urllib.request

import pytest

from unpod_calllogs import APIConnectionError, Client, ConfigError

pytestmark = pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command")


@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    """`openssl req -x509`: a self-signed certificate that is also a CA, for localhost."""
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
         "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )
    return cert, key


@pytest.fixture(scope="module")
def https(server, certificate):
    """An HTTPS server on localhost that answers each request with the reference server's answer;
    `https.connections` counts the connections it accepted."""
    backend = server.url

    class Forward(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            headers = {name: value for name, value in self.headers.items() if name.lower() != "host"}
            try:
                answer = urllib.request.urlopen(urllib.request.Request(backend + self.path, headers=headers))
                status, body = answer.status, answer.read()
            except urllib.error.HTTPError as error:
                status, body = error.code, error.read()
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    class Server(http.server.ThreadingHTTPServer):
        connections = 0

        def get_request(self):
            socket, address = super().get_request()
            type(self).connections += 1
            return context.wrap_socket(socket, server_side=True, do_handshake_on_connect=False), address

    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*map(str, certificate))
    front = Server(("127.0.0.1", 0), Forward)
    threading.Thread(target=front.serve_forever, daemon=True).start()
    front.url = f"https://localhost:{front.server_address[1]}"
    yield front
    front.shutdown()


def test_a_self_signed_certificate_in_ca_file_is_trusted(server, https, certificate):
    client = Client(server.token, server.org_handle, https.url, ca_file=certificate[0])
    assert len(client.call_logs.all(page_size=100)) == client.call_logs.list().count > 0


def test_an_untrusted_certificate_fails_at_once_unretried(server, https):
    before = https.connections
    client = Client(server.token, server.org_handle, https.url, max_retries=3)
    with pytest.raises(APIConnectionError, match="not trusted") as raised:
        client.call_logs.list()
    assert "UNPOD_CA_FILE" in str(raised.value)
    assert https.connections - before == 1


def run(code, env):
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, env=env)


def test_requests_ca_bundle_is_read_and_a_refusal_prints_nothing(server, https, certificate):
    env = dict(os.environ, UNPOD_PLATFORM_TOKEN=server.token, UNPOD_ORG_HANDLE=server.org_handle,
               UNPOD_BASE_URL=https.url)
    env.pop("SSL_CERT_FILE", None)
    code = "from unpod_calllogs import Client; print(Client().call_logs.list().count)"
    trusted = run(code, dict(env, REQUESTS_CA_BUNDLE=str(certificate[0])))
    assert trusted.returncode == 0 and int(trusted.stdout) > 0, trusted.stderr

    refused = run(
        "from unpod_calllogs import Client, APIConnectionError\n"
        "try:\n    Client(max_retries=0).call_logs.list()\nexcept APIConnectionError as e:\n    print('refused')\n",
        env,
    )
    assert refused.stdout.strip() == "refused", refused.stderr
    assert refused.stderr == "", f"printed unasked: {refused.stderr}"


def test_a_ca_file_that_holds_no_certificate_is_a_config_error(server, tmp_path):
    empty = tmp_path / "empty.pem"
    empty.write_text("nothing\n")
    with pytest.raises(ConfigError, match=r"ca_file .*holds no certificate"):
        Client(server.token, server.org_handle, server.url, ca_file=empty)
