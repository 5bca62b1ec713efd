"""Fake gateways for the channel tests, on 127.0.0.1 (standard library only).

    python3 fake_gateways.py LOG WEBHOOK_SECRET DINGTALK_SECRET SMS_TOKEN CLOUD_SECRET

prints its port, then serves:
  /sms        an SMS gateway: needs `Authorization: Bearer SMS_TOKEN`; the first request
              fails (500), later ones answer {"code": "OK"}
  /wecom      a WeCom robot (`key` in the query): a text of at most 2,048 bytes
  /dingtalk   a DingTalk robot: `timestamp` and `sign` checked against DINGTALK_SECRET
  /aliyun     Alibaba Cloud's SendSms: the form's `Signature` recomputed as Alibaba does
              (sorted, RFC 3986 encoded, HMAC-SHA1 under CLOUD_SECRET + "&"), and the
              `Timestamp` within 15 minutes
  /tencent    Tencent Cloud's SendSms: the TC3-HMAC-SHA256 `Authorization` recomputed
              from the body, host and X-TC-Timestamp with CLOUD_SECRET
  /webhook    checked with the published receiver's `verify` (WEBHOOK_SECRET); the first
              request is acted on but answered 500, so the retry is a repeat: acted on once
Each request acted on is appended to LOG as a JSON line: path and body.
"""

import base64
import hashlib
import hmac
import json
import os
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "..", "examples", "integrations"))
from webhook_receiver import verify  # noqa: E402  the docs' example is what checks

LOG, WEBHOOK_SECRET, DINGTALK_SECRET, SMS_TOKEN, CLOUD_SECRET = sys.argv[1:6]
lock = threading.Lock()
counts = {}
seen_ids = set()


def log(entry):
    with lock, open(LOG, "a", encoding="utf-8") as f:
        f.write(json.dumps(entry, ensure_ascii=False) + "\n")


class Fake(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def answer(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self):
        url = urllib.parse.urlparse(self.path)
        query = dict(urllib.parse.parse_qsl(url.query))
        raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        if url.path == "/aliyun":
            return self.aliyun(dict(urllib.parse.parse_qsl(raw.decode(), keep_blank_values=True)))
        if url.path == "/tencent":
            return self.tencent(raw)
        body = json.loads(raw)
        with lock:
            n = counts.get(url.path, 0)
            counts[url.path] = n + 1
        if url.path == "/sms":
            if self.headers.get("Authorization") != f"Bearer {SMS_TOKEN}":
                return self.answer(401, {"code": "DENIED"})
            if n == 0:
                return self.answer(500, {"code": "BUSY"})
            log({"path": "/sms", "body": body})
            return self.answer(200, {"code": "OK"})
        if url.path == "/wecom":
            text = body.get("text", body.get("markdown", {})).get("content", "")
            if query.get("key") != "wecom-key" or len(text.encode()) > 2048:
                return self.answer(200, {"errcode": 93000, "errmsg": "invalid"})
            log({"path": "/wecom", "body": body})
            return self.answer(200, {"errcode": 0, "errmsg": "ok"})
        if url.path == "/dingtalk":
            timestamp = query.get("timestamp", "")
            signed = f"{timestamp}\n{DINGTALK_SECRET}".encode()
            expected = base64.b64encode(hmac.new(DINGTALK_SECRET.encode(), signed, hashlib.sha256).digest()).decode()
            fresh = timestamp.isdigit() and abs(time.time() * 1000 - int(timestamp)) < 3600 * 1000
            if not fresh or query.get("sign") != expected or query.get("access_token") != "ding-token":
                return self.answer(200, {"errcode": 310000, "errmsg": "sign not match"})
            log({"path": "/dingtalk", "body": body})
            return self.answer(200, {"errcode": 0, "errmsg": "ok"})
        if url.path == "/webhook":
            headers = {k.lower(): v for k, v in self.headers.items()}
            if not verify([WEBHOOK_SECRET], headers, raw):
                return self.answer(401, {"error": "bad signature"})
            msg_id = headers["webhook-id"]
            with lock:
                repeat = msg_id in seen_ids
                seen_ids.add(msg_id)
            if not repeat:
                log({"path": "/webhook", "id": msg_id, "body": body})
            return self.answer(500 if n == 0 else 200, {})
        return self.answer(404, {})


def aliyun_signature(params, secret):
    quote = lambda s: urllib.parse.quote(s, safe="-_.~")
    query = "&".join(f"{quote(k)}={quote(v)}" for k, v in sorted(params.items()))
    to_sign = f"POST&{quote('/')}&{quote(query)}"
    return base64.b64encode(hmac.new((secret + "&").encode(), to_sign.encode(), hashlib.sha1).digest()).decode()


def aliyun(self, form):
    signature = form.pop("Signature", "")
    sent = time.mktime(time.strptime(form.get("Timestamp", "1970-01-01T00:00:00Z"), "%Y-%m-%dT%H:%M:%SZ")) - time.timezone
    fresh = abs(time.time() - sent) < 15 * 60
    if not fresh or not hmac.compare_digest(signature, aliyun_signature(form, CLOUD_SECRET)):
        return self.answer(200, {"Code": "SignatureDoesNotMatch", "Message": "Specified signature is not matched"})
    log({"path": "/aliyun", "body": form})
    return self.answer(200, {"Code": "OK", "Message": "OK", "BizId": "900619746936498440^0"})


Fake.aliyun = aliyun


def tencent_authorization(secret_id, secret_key, host, body, timestamp):
    date = time.strftime("%Y-%m-%d", time.gmtime(timestamp))
    sha = lambda b: hashlib.sha256(b).hexdigest()
    mac = lambda key, text: hmac.new(key, text.encode(), hashlib.sha256).digest()
    canonical = f"POST\n/\n\ncontent-type:application/json; charset=utf-8\nhost:{host}\n\ncontent-type;host\n{sha(body)}"
    scope = f"{date}/sms/tc3_request"
    to_sign = f"TC3-HMAC-SHA256\n{timestamp}\n{scope}\n{sha(canonical.encode())}"
    key = mac(mac(mac(("TC3" + secret_key).encode(), date), "sms"), "tc3_request")
    signature = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    return f"TC3-HMAC-SHA256 Credential={secret_id}/{scope}, SignedHeaders=content-type;host, Signature={signature}"


def tencent(self, raw):
    timestamp = int(self.headers.get("X-TC-Timestamp", "0"))
    secret_id = self.headers.get("Authorization", "").split("Credential=")[-1].split("/")[0]
    expected = tencent_authorization(secret_id, CLOUD_SECRET, self.headers.get("Host", ""), raw, timestamp)
    fresh = abs(time.time() - timestamp) < 5 * 60
    if not fresh or self.headers.get("X-TC-Action") != "SendSms" or not hmac.compare_digest(self.headers.get("Authorization", ""), expected):
        return self.answer(200, {"Response": {"Error": {"Code": "AuthFailure.SignatureFailure", "Message": "signature mismatch"}, "RequestId": "x"}})
    body = json.loads(raw)
    log({"path": "/tencent", "body": body})
    status = [{"PhoneNumber": n, "Code": "Ok", "Message": "send success"} for n in body["PhoneNumberSet"]]
    return self.answer(200, {"Response": {"SendStatusSet": status, "RequestId": "y"}})


Fake.tencent = tencent

server = ThreadingHTTPServer(("127.0.0.1", 0), Fake)
print(server.server_address[1], flush=True)
server.serve_forever()
