#!/usr/bin/env python3
"""A local mail catcher standing in for the HTTP email API the gateway sends through (Resend's
shape), for development and tests.

  POST   /emails              {"from", "to": [...], "subject", "text"} with
                              Authorization: Bearer <key>; stored, answered {"id": ...}
  GET    /messages?to=ADDR    the messages sent to ADDR (all without `to`), oldest first, as JSON
  DELETE /messages            forgets every message

The key is read from the environment variable named by --key-env (EMAIL_API_KEY); a request
without it is a 401, a malformed one a 422 (as Resend answers). Listens on 127.0.0.1 only.
Usage: fake_mail.py --port N [--key-env EMAIL_API_KEY]
"""
import argparse
import hmac
import json
import os
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

LOCK = threading.Lock()
STATE = {"messages": [], "counter": 0}
KEY = ""


class Handler(BaseHTTPRequestHandler):
    server_version = "FakeMail/1.0"

    def log_message(self, *args):
        pass

    def reply(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        url = urlsplit(self.path)
        if url.path != "/messages":
            return self.reply(404, {"message": "not found"})
        to = parse_qs(url.query).get("to", [None])[0]
        with LOCK:
            found = [m for m in STATE["messages"] if to is None or to.lower() in (t.lower() for t in m["to"])]
        return self.reply(200, found)

    def do_DELETE(self):
        if urlsplit(self.path).path != "/messages":
            return self.reply(404, {"message": "not found"})
        with LOCK:
            STATE["messages"].clear()
        return self.reply(200, {"deleted": True})

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        if urlsplit(self.path).path != "/emails":
            return self.reply(404, {"message": "not found"})
        presented = self.headers.get("Authorization", "")
        if not KEY or not hmac.compare_digest(presented.encode(), f"Bearer {KEY}".encode()):
            return self.reply(401, {"statusCode": 401, "name": "missing_api_key", "message": "Missing or invalid API key"})
        try:
            body = json.loads(raw)
            ok = (isinstance(body, dict) and isinstance(body.get("from"), str) and body["from"]
                  and isinstance(body.get("to"), list) and body["to"] and all(isinstance(t, str) for t in body["to"])
                  and isinstance(body.get("subject"), str) and isinstance(body.get("text"), str))
        except ValueError:
            ok = False
        if not ok:
            return self.reply(422, {"statusCode": 422, "name": "validation_error", "message": "from, to, subject and text are required"})
        with LOCK:
            STATE["counter"] += 1
            mid = f"msg_{STATE['counter']:06d}"
            STATE["messages"].append({"id": mid, "from": body["from"], "to": body["to"], "subject": body["subject"],
                                      "text": body["text"], "received_at": time.time()})
        return self.reply(200, {"id": mid})


def main():
    global KEY
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--key-env", default="EMAIL_API_KEY")
    args = parser.parse_args()
    KEY = os.environ.get(args.key_env, "")
    if not KEY:
        raise SystemExit(f"{args.key_env} is not set")
    ThreadingHTTPServer(("127.0.0.1", args.port), Handler).serve_forever()


if __name__ == "__main__":
    main()
