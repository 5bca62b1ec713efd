#!/usr/bin/env python3
"""Receiving Trellis webhooks: verify the signature, then act once per message.

Trellis signs every webhook as Standard Webhooks (https://www.standardwebhooks.com) say:

    webhook-id:        trellis-outbox-42          the same on every retry of a message
    webhook-timestamp: 1767225600                 seconds, this attempt's
    webhook-signature: v1,<base64> [v1,<base64>]  HMAC-SHA256 of "id.timestamp.body"

with each of the channel's signing secrets (two while moving to a new one), each
`whsec_` and base64. A receiver checks that one signature matches a secret it holds,
that the timestamp is within five minutes of its clock, and then treats `webhook-id` as
its idempotency key: a message seen before is answered 200 and not acted on again.

Run it (standard library only):

    TRELLIS_WEBHOOK_SECRET=whsec_... python3 webhook_receiver.py 8000

and point a rule's webhook at http://this-host:8000/.
"""

import base64
import hashlib
import hmac
import json
import os
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

TOLERANCE_SECONDS = 5 * 60


def verify(secrets, headers, body, now=None):
    """Whether `body` (bytes, exactly as received) carries a valid signature by one of
    `secrets` (`whsec_...` strings) in `headers` (names in lower case)."""
    msg_id = headers.get("webhook-id", "")
    timestamp = headers.get("webhook-timestamp", "")
    signatures = headers.get("webhook-signature", "").split()
    try:
        sent = int(timestamp)
    except ValueError:
        return False
    if abs((now or time.time()) - sent) > TOLERANCE_SECONDS:
        return False
    signed = f"{msg_id}.{timestamp}.".encode() + body
    for secret in secrets:
        key = base64.b64decode(secret.removeprefix("whsec_"))
        expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
        for signature in signatures:
            version, _, value = signature.partition(",")
            if version == "v1" and hmac.compare_digest(value, expected):
                return True
    return False


class Receiver(BaseHTTPRequestHandler):
    secrets = [s for s in os.environ.get("TRELLIS_WEBHOOK_SECRET", "").split(",") if s]
    seen = set()

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        headers = {k.lower(): v for k, v in self.headers.items()}
        if not verify(self.secrets, headers, body):
            self.send_response(401)
            self.end_headers()
            return
        msg_id = headers["webhook-id"]
        if msg_id not in self.seen:  # a retry of a message already handled: nothing again
            self.seen.add(msg_id)
            print(json.dumps({"id": msg_id, "body": json.loads(body)}, ensure_ascii=False), flush=True)
        self.send_response(200)
        self.end_headers()


if __name__ == "__main__":
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 8000
    ThreadingHTTPServer(("127.0.0.1", port), Receiver).serve_forever()
