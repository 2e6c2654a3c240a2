"""A webhook receiver that verifies every request with the `standardwebhooks` package from PyPI.

It is the reference verifier of the alert delivery tests: ShelfStream's code signs, this
independent implementation checks. Each configured secret is tried on its own, so a test can see
that a message sent during a secret rotation verifies under the old secret and under the new one.

Usage: python standard_webhooks_receiver.py '<json config>'
  config: {"secrets": ["whsec_..."], "statuses": [500, 200] (per webhook-id: its first request
           gets the first, its second the second, later ones the last; default [200]),
           "delay_ms": 0, "slow_requests": null (how many of the first requests wait
           delay_ms before answering; null: all of them), "retry_after": null}
Prints "LISTENING <port>" once it listens on 127.0.0.1 (port 0: a free one).
GET /received answers every request seen so far as JSON; PUT /secrets replaces the secrets
(a JSON list), for tests that learn a secret only when the subscription is made.
"""
import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standardwebhooks.webhooks import Webhook, WebhookVerificationError

config = json.loads(sys.argv[1])
secrets = config["secrets"]
statuses = config.get("statuses") or [200]
delay_ms = config.get("delay_ms", 0)
slow_requests = config.get("slow_requests")
retry_after = config.get("retry_after")
verifiers = [Webhook(secret) for secret in secrets]
received = []
lock = threading.Lock()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format, *args):  # noqa: A002 - the base class's name
        pass

    def do_GET(self):
        with lock:
            body = json.dumps(received).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_PUT(self):
        global verifiers
        length = int(self.headers.get("content-length", "0"))
        verifiers = [Webhook(secret) for secret in json.loads(self.rfile.read(length))]
        self.send_response(204)
        self.send_header("content-length", "0")
        self.end_headers()

    def do_POST(self):
        length = int(self.headers.get("content-length", "0"))
        payload = self.rfile.read(length)
        headers = {k.lower(): v for k, v in self.headers.items()}
        verified = []
        for verifier in verifiers:
            try:
                verifier.verify(payload, headers)
                verified.append(True)
            except WebhookVerificationError:
                verified.append(False)
        with lock:
            seen = sum(1 for r in received if r["webhook_id"] == headers.get("webhook-id"))
            status = statuses[min(seen, len(statuses) - 1)]
            slow = slow_requests is None or len(received) < slow_requests
            received.append({
                "webhook_id": headers.get("webhook-id"),
                "webhook_timestamp": headers.get("webhook-timestamp"),
                "signatures": len(headers.get("webhook-signature", "").split(" ")),
                "verified": verified,
                "body": payload.decode("utf-8", "replace"),
                "status": status,
                "at_ms": int(time.time() * 1000),
            })
        if delay_ms and slow:
            time.sleep(delay_ms / 1000)
        answer = b"ok" if 200 <= status < 300 else b"receiver says no"
        self.send_response(status)
        if retry_after is not None and status in (429, 503):
            self.send_header("retry-after", str(retry_after))
        self.send_header("content-length", str(len(answer)))
        try:
            self.end_headers()
            self.wfile.write(answer)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the sender gave up waiting (a timeout test): nothing to answer to


server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
print(f"LISTENING {server.server_address[1]}", flush=True)
server.serve_forever()
