"""The Meilisearch client's error mapping, against a local HTTP server that misbehaves on purpose
(a proxy's error page, a failing engine): the engine's unavailability is a 503, never a 500."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from backend.errors import Unavailable
from backend.search.meili_http import MeiliHttp, MeiliHttpError

# path -> (status, content type, body)
ANSWERS: dict[str, tuple[int, str, bytes]] = {
    "/prefix/ok": (200, "application/json", b'{"hits": []}'),
    "/prefix/busy": (503, "text/html", b"<html>Service Unavailable</html>"),
    "/prefix/crash": (500, "application/json", b'{"message": "internal", "code": "internal"}'),
    "/prefix/throttled": (429, "application/json", b'{"message": "slow down"}'),
    "/prefix/proxy-page": (200, "text/html", b"<html>Welcome to nginx</html>"),
    "/prefix/missing": (404, "application/json", b'{"code": "index_not_found"}'),
}


SEEN: list[tuple[str, str, str, bytes]] = []  # method, path, content type, body


class Handler(BaseHTTPRequestHandler):
    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        SEEN.append(
            (self.command, self.path, self.headers["Content-Type"], self.rfile.read(length))
        )
        status, kind, body = ANSWERS.get(self.path, (418, "text/plain", b"?"))
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = _answer

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def client() -> Iterator[MeiliHttp]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield MeiliHttp(f"http://127.0.0.1:{server.server_address[1]}/prefix", "key", timeout=5)
    server.shutdown()


def test_requests_go_under_the_url_path_and_answers_come_back_decoded(client: MeiliHttp) -> None:
    assert client.post("/ok", {"q": "inn"}) == {"hits": []}
    assert SEEN[-1] == ("POST", "/prefix/ok", "application/json", b'{"q": "inn"}')
    assert client.post("/ok", body=b'{"id": 1}\n', content_type="application/x-ndjson") == {
        "hits": []
    }
    assert SEEN[-1] == ("POST", "/prefix/ok", "application/x-ndjson", b'{"id": 1}\n')


@pytest.mark.parametrize("path", ["/busy", "/crash", "/throttled", "/proxy-page"])
def test_an_engine_that_cannot_answer_is_unavailable(client: MeiliHttp, path: str) -> None:
    with pytest.raises(Unavailable, match="search engine"):
        client.get(path)


def test_a_client_error_keeps_the_engine_code(client: MeiliHttp) -> None:
    with pytest.raises(MeiliHttpError) as caught:
        client.post("/missing", {"q": ""})
    assert caught.value.status == 404 and caught.value.code == "index_not_found"
