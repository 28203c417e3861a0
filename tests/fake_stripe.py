#!/usr/bin/env python3
"""A local fake of the parts of Stripe's HTTP API that CROW Edge calls, for development and tests.

It speaks Stripe's form-encoded API (bracket notation), checks the secret key, honours
Idempotency-Key (a replay returns the first answer), keeps subscriptions in memory, and records
every request. Control endpoints (not Stripe's) let tests inspect and break it:

  GET  /_requests              every request received, as JSON
  POST /_mode  {"mode": m}     ok | error500 (answer 500) | drop (close the connection)
  POST /_subscriptions         {"id", "customer", "price", "status"} seeds a subscription

Listens on 127.0.0.1 only. Usage: fake_stripe.py --port N
"""
import argparse
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl

LOCK = threading.Lock()
STATE = {"mode": "ok", "requests": [], "idempotent": {}, "subscriptions": {}, "counter": 0}


def next_id(prefix):
    with LOCK:
        STATE["counter"] += 1
        return f"{prefix}_test_{STATE['counter']:06d}"


def subscription_object(sub):
    return {
        "id": sub["id"],
        "object": "subscription",
        "customer": sub["customer"],
        "status": sub["status"],
        "cancel_at_period_end": sub["cancel_at_period_end"],
        "current_period_end": sub["current_period_end"],
        "items": {"object": "list", "data": [{"price": {"id": sub["price"]}, "current_period_end": sub["current_period_end"]}]},
        "metadata": sub.get("metadata", {}),
    }


class Handler(BaseHTTPRequestHandler):
    server_version = "FakeStripe/1.0"

    def log_message(self, *args):
        pass

    def reply(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def error(self, status, message, kind="invalid_request_error"):
        self.reply(status, {"error": {"type": kind, "message": message}})

    def body(self):
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length).decode() if length else ""

    def do_GET(self):
        if self.path == "/_requests":
            with LOCK:
                return self.reply(200, STATE["requests"])
        return self.stripe("GET", {})

    def do_POST(self):
        raw = self.body()
        if self.path == "/_mode":
            with LOCK:
                STATE["mode"] = json.loads(raw)["mode"]
            return self.reply(200, {"mode": STATE["mode"]})
        if self.path == "/_subscriptions":
            s = json.loads(raw)
            sub = {"id": s["id"], "customer": s["customer"], "price": s["price"], "status": s.get("status", "active"),
                   "cancel_at_period_end": False, "current_period_end": int(time.time()) + 30 * 86400, "metadata": s.get("metadata", {})}
            with LOCK:
                STATE["subscriptions"][sub["id"]] = sub
            return self.reply(200, subscription_object(sub))
        return self.stripe("POST", dict(parse_qsl(raw, keep_blank_values=True)))

    def stripe(self, method, form):
        with LOCK:
            mode = STATE["mode"]
            STATE["requests"].append({"method": method, "path": self.path, "form": form,
                                      "idempotencyKey": self.headers.get("Idempotency-Key"),
                                      "stripeVersion": self.headers.get("Stripe-Version")})
        if mode == "drop":
            self.close_connection = True
            self.connection.close()
            return None
        if mode == "error500":
            return self.error(500, "Something went wrong on Stripe's end.", "api_error")
        auth = self.headers.get("Authorization", "")
        if not auth.startswith("Bearer sk_test_"):
            return self.error(401, "Invalid API Key provided.")
        key = self.headers.get("Idempotency-Key")
        if method == "POST" and key:
            with LOCK:
                cached = STATE["idempotent"].get(key)
            if cached:
                return self.reply(*cached)
        status, body = self.route(method, form)
        if method == "POST" and key and status < 500:
            with LOCK:
                STATE["idempotent"][key] = (status, body)
        return self.reply(status, body)

    def route(self, method, form):
        path = self.path.split("?")[0]
        if method == "POST" and path == "/v1/checkout/sessions":
            for field in ("mode", "line_items[0][price]", "success_url", "cancel_url"):
                if not form.get(field):
                    return 400, {"error": {"type": "invalid_request_error", "message": f"Missing required param: {field}."}}
            if form["mode"] != "subscription":
                return 400, {"error": {"type": "invalid_request_error", "message": "Invalid mode."}}
            sid = next_id("cs")
            return 200, {"id": sid, "object": "checkout.session", "mode": "subscription", "url": f"https://checkout.stripe.test/c/pay/{sid}",
                         "client_reference_id": form.get("client_reference_id"), "customer": form.get("customer"),
                         "metadata": {"org_id": form.get("metadata[org_id]")}, "status": "open"}
        if method == "POST" and path == "/v1/billing_portal/sessions":
            if not form.get("customer"):
                return 400, {"error": {"type": "invalid_request_error", "message": "Missing required param: customer."}}
            pid = next_id("bps")
            return 200, {"id": pid, "object": "billing_portal.session", "customer": form["customer"],
                         "return_url": form.get("return_url"), "url": f"https://billing.stripe.test/p/session/{pid}"}
        if path.startswith("/v1/subscriptions/"):
            sub_id = path.rsplit("/", 1)[1]
            with LOCK:
                sub = STATE["subscriptions"].get(sub_id)
                if sub is None:
                    return 404, {"error": {"type": "invalid_request_error", "message": f"No such subscription: '{sub_id}'"}}
                if method == "POST" and "cancel_at_period_end" in form:
                    sub["cancel_at_period_end"] = form["cancel_at_period_end"] == "true"
                return 200, subscription_object(sub)
        return 404, {"error": {"type": "invalid_request_error", "message": f"Unrecognized request URL ({method}: {path})."}}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    ThreadingHTTPServer(("127.0.0.1", args.port), Handler).serve_forever()


if __name__ == "__main__":
    main()
