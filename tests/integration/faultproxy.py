"""A fault-injecting HTTP proxy on 127.0.0.1, between boto3 and the local S3 endpoint.

Requests and responses are forwarded unchanged (bodies byte for byte, chunked ones included; the Host
header as the client sent it, so path-style S3 keeps working); tests add `Fault`s that answer an S3
error instead, cut the response body after N bytes, or delay the response.
"""

from __future__ import annotations

import http.client
import re
import socket
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

# Hop-by-hop headers: they describe one connection, not the message.
HOP_BY_HOP = {"connection", "keep-alive", "proxy-connection", "expect", "transfer-encoding", "te", "upgrade"}
ERROR_BODY = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    "<Error><Code>{code}</Code><Message>{message}</Message><RequestId>faultproxy</RequestId></Error>"
)
MESSAGES = {"SlowDown": "Please reduce your request rate.", "InternalError": "We encountered an internal error."}
PIECE = 64 * 1024


@dataclass
class Fault:
    """What to do to requests whose method and target (path?query) match; the first `skip` pass untouched."""

    method: str  # "GET", "PUT", … or "*"
    target: str  # a regex searched in the request target, e.g. r"^/bucket/processed/[^?]*$" or r"partNumber="
    action: str  # "error" | "cut" | "delay"
    status: int = 503
    code: str = "SlowDown"
    cut_after: int = 0  # "cut": bytes of the response body sent before the connection is closed
    delay: float = 0.0  # "delay": seconds before the response is forwarded
    skip: int = 0  # matching requests let through before the fault starts
    times: int | None = None  # how many matching requests it hits; None: every one
    seen: int = 0
    hits: int = 0

    def fires(self, method: str, target: str) -> bool:
        if self.method not in ("*", method) or not re.search(self.target, urllib.parse.unquote(target)):
            return False
        self.seen += 1
        if self.seen <= self.skip or (self.times is not None and self.hits >= self.times):
            return False
        self.hits += 1
        return True


@dataclass
class FaultProxy:
    upstream: str  # http://host:port of the real endpoint
    faults: list[Fault] = field(default_factory=list)
    requests: list[tuple[str, str, str]] = field(default_factory=list)  # (method, target, what was done)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._server.daemon_threads = True
        self._server.proxy = self  # type: ignore[attr-defined]
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        threading.Thread(target=self._server.serve_forever, args=(0.05,), name="faultproxy", daemon=True).start()

    def add(self, method: str, target: str, action: str, **options) -> Fault:
        fault = Fault(method, target, action, **options)
        with self._lock:
            self.faults.append(fault)
        return fault

    def clear(self) -> None:
        with self._lock:
            self.faults.clear()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def decide(self, method: str, target: str) -> Fault | None:
        with self._lock:
            fault = next((f for f in self.faults if f.fires(method, target)), None)
            self.requests.append((method, urllib.parse.unquote(target), fault.action if fault else "forwarded"))
            return fault

    def count(self, method: str, target: str, what: str | None = None) -> int:
        with self._lock:
            return sum(1 for m, t, w in self.requests if m == method and re.search(target, t) and what in (None, w))


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as boto3's connection pool expects

    def log_message(self, format, *args) -> None:
        pass

    def _body(self) -> bytes:
        """The request body exactly as sent: Content-Length bytes, or the raw chunked encoding."""
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            raw = b""
            while True:
                line = self.rfile.readline()
                raw += line
                if int(line.split(b";")[0], 16) == 0:
                    while (trailer := self.rfile.readline()) not in (b"\r\n", b"\n", b""):
                        raw += trailer
                    return raw + b"\r\n"
                raw += self.rfile.read(int(line.split(b";")[0], 16) + 2)
        return self.rfile.read(int(self.headers.get("Content-Length", 0)))

    def _forward(self) -> None:
        proxy: FaultProxy = self.server.proxy  # type: ignore[attr-defined]
        body = self._body()
        fault = proxy.decide(self.command, self.path)
        try:
            if fault and fault.action == "error":
                return self._error(fault)
            if fault and fault.action == "delay":
                time.sleep(fault.delay)
            self._relay(proxy.upstream, body, fault.cut_after if fault and fault.action == "cut" else None)
        except OSError:  # the client gave up (a timeout): nothing left to answer
            self.close_connection = True

    do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = _forward

    def _error(self, fault: Fault) -> None:
        data = ERROR_BODY.format(code=fault.code, message=MESSAGES.get(fault.code, fault.code)).encode()
        self.send_response(fault.status)
        self.send_header("Content-Type", "application/xml")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _relay(self, upstream: str, body: bytes, cut_after: int | None) -> None:
        parts = urllib.parse.urlsplit(upstream)
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
        try:
            conn.putrequest(self.command, self.path, skip_host=True, skip_accept_encoding=True)
            for name, value in self.headers.items():
                if name.lower() not in HOP_BY_HOP - {"transfer-encoding"}:
                    conn.putheader(name, value)
            conn.endheaders(body)
            response = conn.getresponse()
            chunked = response.chunked  # http.client de-chunks; re-chunk what we pass on
            self.send_response_only(response.status, response.reason)
            for name, value in response.getheaders():
                if name.lower() not in HOP_BY_HOP:
                    self.send_header(name, value)
            if chunked:
                self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            sent = 0
            while piece := response.read(PIECE):
                cut = cut_after is not None and sent + len(piece) >= cut_after
                piece = piece[: cut_after - sent] if cut else piece
                if piece:
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece) if chunked else piece)
                sent += len(piece)
                if cut:  # mid-body: the client sees a short read
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
            if chunked:
                self.wfile.write(b"0\r\n\r\n")
        finally:
            conn.close()
