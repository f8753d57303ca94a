"""A local HTTP server that serves the test feed documents and misbehaves on request.

Started in the test on 127.0.0.1 (the network is never reached). Each path is one behaviour:

- `/feeds/<file>`: the file under tests/data/feeds, with an ETag and Last-Modified; a matching
  If-None-Match (or If-Modified-Since) gets 304 Not Modified;
- `/status/<code>`: that status and a short body;
- `/slow`: waits `slow_seconds` before answering;
- `/huge`: a 50 MB body, streamed without a Content-Length;
- `/huge-declared`: a Content-Length of 50 MB (and a short body);
- `/loop`: redirects to itself forever.

`requests` lists the requests seen, so tests can check the conditional headers.
"""

import contextlib
import email.utils
import hashlib
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

FEEDS = Path(__file__).parent / "data" / "feeds"
LAST_MODIFIED = email.utils.format_datetime(
    email.utils.parsedate_to_datetime("Fri, 20 Nov 2026 09:30:00 GMT"), usegmt=True
)
HUGE_BYTES = 50 * 1_000_000


class FeedServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), FeedHandler)
        self.requests: list[tuple[str, dict]] = []
        self.slow_seconds = 3.0
        self.bodies: dict[str, bytes] = {}  # extra documents, by path, made in a test

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def url(self, path: str) -> str:
        return self.base_url + path


class FeedHandler(BaseHTTPRequestHandler):
    server: FeedServer

    def log_message(self, format, *args):  # keep the test output clean
        pass

    def do_GET(self):
        self.server.requests.append((self.path, dict(self.headers)))
        # The client may give up (size cap, timeout), as a real server sees it.
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self._answer()

    def _answer(self):
        path = self.path.split("?")[0]
        if path in self.server.bodies:
            return self._document(self.server.bodies[path], "application/rss+xml")
        if path.startswith("/feeds/"):
            file = FEEDS / path.removeprefix("/feeds/")
            if not file.is_file():
                return self._plain(404, b"not found")
            kind = "text/html" if file.suffix == ".html" else "application/atom+xml"
            return self._document(file.read_bytes(), kind)
        if path.startswith("/status/"):
            return self._plain(int(path.removeprefix("/status/")), b"fictional server error")
        if path == "/slow":
            time.sleep(self.server.slow_seconds)
            return self._document((FEEDS / "atom_department.xml").read_bytes(), "application/xml")
        if path == "/loop":
            self.send_response(302)
            self.send_header("Location", "/loop")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return None
        if path == "/huge":
            self.send_response(200)
            self.send_header("Content-Type", "application/rss+xml")
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(b'<?xml version="1.0"?><rss version="2.0"><channel>')
            chunk = b"<!-- padding -->" * 65536  # about 1 MB
            for _ in range(HUGE_BYTES // len(chunk)):
                self.wfile.write(chunk)
            return None
        if path == "/huge-declared":
            self.send_response(200)
            self.send_header("Content-Type", "application/rss+xml")
            self.send_header("Content-Length", str(HUGE_BYTES))
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(b"<rss/>")
            return None
        return self._plain(404, b"not found")

    def _document(self, body: bytes, content_type: str):
        etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
        given_etag = self.headers.get("If-None-Match")
        if given_etag == etag or (
            given_etag is None and self.headers.get("If-Modified-Since") == LAST_MODIFIED
        ):
            self.send_response(304)
            self.send_header("ETag", etag)
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("ETag", etag)
        self.send_header("Last-Modified", LAST_MODIFIED)
        self.end_headers()
        self.wfile.write(body)

    def _plain(self, status: int, body: bytes):
        self.send_response(status)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def start_feed_server() -> tuple[FeedServer, threading.Thread]:
    server = FeedServer()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return server, thread
