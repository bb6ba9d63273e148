"""How symres reaches an index: TLS verified against the CA pip is told of, proxies from
the environment, kept-alive connections that the server has dropped."""

from __future__ import annotations

import ssl
from collections.abc import Iterator

import httpx
import pytest
import trustme

from symres.index.transport import StdlibTransport
from tests.conftest import Project
from tests.index_server import IndexServer
from tests.proxy_server import ProxyServer
from tests.test_lock import pins


@pytest.fixture
def ca() -> trustme.CA:
    return trustme.CA()


def _tls_server(project: Project, ca: trustme.CA) -> IndexServer:
    """The project's index, moved to HTTPS with a certificate *ca* signed for 127.0.0.1."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(context)
    server = IndexServer(tls=context, files=project.index.files)
    server._by_project = project.index._by_project
    server.start()
    project.index.stop()
    project.index = server
    return server


def test_an_https_index_is_read_with_the_ca_pip_is_given(
    project: Project, ca: trustme.CA, capsys, tmp_path
) -> None:
    project.wheel("a", "1.0", requires=["b"])
    project.wheel("b", "2.0")
    server = _tls_server(project, ca)
    bundle = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(bundle))
    project.write("requirements.in", "a\n")
    code, _, err = project.lock("requirements.in", "--cert", str(bundle), capsys=capsys)
    assert code == 0, err
    assert "a==1.0" in project.read() and "b==2.0" in project.read()
    assert server.url.startswith("https://") and server.requests("/files/")


def test_an_untrusted_certificate_is_one_line_naming_the_index_and_cert(
    project: Project, ca: trustme.CA, capsys
) -> None:
    project.wheel("a", "1.0")
    server = _tls_server(project, ca)
    project.write("requirements.in", "a\n")
    code, _, err = project.lock("requirements.in", capsys=capsys)
    assert code == 2
    line = err.strip().splitlines()[0]
    assert f"`{server.url}/a/`" in line and "certificate" in line
    assert "--cert" in err and "Traceback" not in err
    assert "tries" not in line, "a certificate that fails once fails every time: no retry"


def test_a_proxy_from_the_environment_carries_every_request(
    project: Project, capsys, monkeypatch
) -> None:
    project.wheel("a", "1.0", requires=["b"])
    project.wheel("b", "2.0")
    project.write("requirements.in", "a\n")
    proxy = ProxyServer()
    proxy.start()
    try:
        monkeypatch.setenv("HTTP_PROXY", proxy.url)
        monkeypatch.delenv("NO_PROXY", raising=False)
        monkeypatch.delenv("no_proxy", raising=False)
        code, _, err = project.lock("requirements.in", capsys=capsys)
    finally:
        proxy.stop()
    assert code == 0, err
    assert "b==2.0" in project.read()
    index = project.index.url.removesuffix("/simple")
    assert f"{project.index.url}/a/" in proxy.relayed
    assert any(u.startswith(f"{index}/files/b-2.0") for u in proxy.relayed)
    assert len(proxy.relayed) == len(project.index.log), "nothing went around the proxy"


@pytest.fixture
def transport() -> Iterator[httpx.Client]:
    client = httpx.Client(transport=StdlibTransport(ssl.create_default_context()))
    yield client
    client.close()


def test_a_kept_alive_connection_is_reused(project: Project, transport: httpx.Client) -> None:
    project.wheel("a", "1.0")
    for _ in range(3):
        assert transport.get(f"{project.index.url}/a/").status_code == 200
    assert project.index.connections == 1


def test_a_connection_the_server_dropped_is_replaced_not_an_error(
    project: Project, transport: httpx.Client
) -> None:
    project.wheel("a", "1.0")
    project.index.hang_up = True  # each answer ends its connection, without a word
    pages = [transport.get(f"{project.index.url}/a/") for _ in range(3)]
    assert [p.status_code for p in pages] == [200, 200, 200]
    assert b"a-1.0" in pages[-1].content
    assert project.index.connections == 3 and len(project.index.log) == 3


# Most requests take a short way to the transport (symres.index.transport.IndexHTTP);
# whatever it cannot take as it came goes through httpx. These are the answers it hands on.


def _file_host(project: Project) -> IndexServer:
    """A second server with the project's files: where the index's file URLs redirect."""
    host = IndexServer(files=project.index.files)
    host._by_project = project.index._by_project
    host.start()
    project.index.files_at = host.url.removesuffix("/simple")
    return host


def test_files_the_index_redirects_are_read_from_the_file_host_without_credentials(
    project: Project, capsys
) -> None:
    project.wheel("a", "1.0", requires=["b"])
    project.wheel("b", "2.0")
    project.write("requirements.in", "a\n")
    project.index.auth = ("user", "s3cret")
    host = _file_host(project)
    secret = project.index.url.replace("http://", "http://user:s3cret@")
    try:
        code, _, err = project.lock("--index-url", secret, "requirements.in", capsys=capsys)
    finally:
        host.stop()
    assert code == 0, err
    assert pins(project.read()) == {"a": "1.0", "b": "2.0"}
    assert all(r.authorized for r in project.index.log)
    assert host.requests("/files/b-2.0"), "b's metadata came from the file host"
    assert not any(r.authorized for r in host.log), "the index's credentials stay with it"


def test_a_cookie_the_index_sets_on_its_pages_goes_back_with_its_files(
    project: Project, capsys
) -> None:
    project.wheel("a", "1.0", requires=["b"])
    project.wheel("b", "2.0")
    project.write("requirements.in", "a\n")
    project.index.cookie = "session=abc123"  # files without it: 403
    code, _, err = project.lock("requirements.in", capsys=capsys)
    assert code == 0, err
    assert pins(project.read()) == {"a": "1.0", "b": "2.0"}
    assert [r.path for r in project.index.log if r.status == 403] == []


def test_files_an_index_sends_encoded_unasked_are_decoded(project: Project, capsys) -> None:
    project.wheel("a", "1.0", requires=["b"])
    project.wheel("b", "2.0")
    project.write("requirements.in", "a\n")
    for metadata in (False, True):  # wheel tails by Range, then .metadata files
        project.index.metadata = metadata
        project.index.encode_files = True
        code, _, err = project.lock("--refresh", "requirements.in", capsys=capsys)
        assert code == 0, err
        assert pins(project.read()) == {"a": "1.0", "b": "2.0"}


def test_a_body_cut_short_of_its_content_length_is_an_error_not_a_file() -> None:
    """A server that closes after 50 of the 100 bytes it announced: a truncated
    `.metadata` or wheel tail must not be taken as whole (httpx raises too)."""
    import socket
    import threading

    from symres.index.transport import IndexHTTP, fetch

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)

    def serve() -> None:
        conn, _ = listener.accept()
        conn.recv(65536)
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n" + b"x" * 50)
        conn.close()

    threading.Thread(target=serve, daemon=True).start()
    client = IndexHTTP(transport=StdlibTransport(ssl.create_default_context()))
    url = f"http://127.0.0.1:{listener.getsockname()[1]}/files/a.metadata"
    try:
        with pytest.raises(httpx.RemoteProtocolError), fetch(client, url) as (_, _, body, _):
            b"".join(body)
    finally:
        client.close()
        listener.close()
