"""Outbound webhooks end to end: admins subscribe a local receiver to
`message.created` and `conversation.*`; signed intake through an api inbox
reaches it once per event with a signature verified here by the documented
algorithm; a receiver answering 500 twice gets retries, then succeeds; a dead
receiver makes the delivery dead after the last attempt; the Slack format;
account isolation; validation (422 with pointers) and roles (403); and a
restart that neither loses nor repeats an event (the cursor is a row)."""
import hashlib
import hmac
import json
import sqlite3
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from harness import Server, assert_problem, run

S = Server("--webhook-backoff-ms", "20")
INBOX_SECRET = "inbox-hmac-secret-0123456789"
PW = "hooks-password-123"
C = {}
INBOX = None
MAX_ATTEMPTS = 6


class Receiver:
    """A local HTTP endpoint: records every POST; answers per path from a
    script of statuses (the last one repeats), 200 by default."""

    def __init__(self):
        self.requests = []
        self.script = {}
        self.lock = threading.Lock()
        rec = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def do_POST(self):
                n = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(n)
                with rec.lock:
                    rec.requests.append({"path": self.path, "headers": dict(self.headers),
                                         "body": body, "at": time.time()})
                    script = rec.script.get(self.path, [200])
                    code = script.pop(0) if len(script) > 1 else script[0]
                data = b'{"ok":true}' if code < 300 else b'{"error":"receiver says no"}'
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def at(self, path):
        with self.lock:
            return [r for r in self.requests if r["path"] == path]

    def wait(self, path, n, timeout=15.0, pred=None):
        deadline = time.time() + timeout
        while time.time() < deadline:
            got = [r for r in self.at(path) if pred is None or pred(r)]
            if len(got) >= n:
                return got
            time.sleep(0.05)
        return [r for r in self.at(path) if pred is None or pred(r)]

    def close(self):
        self.server.shutdown()


R = Receiver()


def verify(req, secret, tolerance=300):
    """The documented receiver check: t=<unix seconds>,v1=<hex HMAC-SHA256(secret,
    "<t>.<raw body>")>, compared in constant time, t within tolerance."""
    header = req["headers"].get("X-Parley-Signature", "")
    parts = dict(p.split("=", 1) for p in header.split(",") if "=" in p)
    t = parts.get("t", "")
    expected = hmac.new(secret.encode(), t.encode() + b"." + req["body"],
                        hashlib.sha256).hexdigest()
    assert hmac.compare_digest(expected, parts.get("v1", "")), f"bad signature {header}"
    assert abs(time.time() - int(t)) < tolerance, "stale timestamp"
    return True


def sign(raw):
    return "sha256=" + hmac.new(INBOX_SECRET.encode(), raw, hashlib.sha256).hexdigest()


def deliver(msg_id, contact, body):
    payload = {"id": msg_id, "contact": {"id": contact, "name": contact.title()}, "body": body}
    raw = json.dumps(payload).encode()
    r = S.client(csrf=False).request("POST", f"/api/v1/inboxes/{INBOX}/messages", raw=raw,
                                     headers={"X-Parley-Signature": sign(raw)})
    assert r.status in (200, 201), r
    return r.json


def db(sql, *args):
    con = sqlite3.connect(S.db, timeout=10)
    try:
        return con.execute(sql, args).fetchall()
    finally:
        con.close()


def subscribe(path, events, client=None, **kw):
    r = (client or C["admin"]).post("/api/v1/webhooks",
                                    {"url": R.url + path, "events": events, **kw})
    assert r.status == 201, r
    return r.json


def deliveries(hook_id, client=None):
    r = (client or C["admin"]).get(f"/api/v1/webhooks/{hook_id}/deliveries?limit=100")
    assert r.status == 200, r
    return r.json["data"]


def wait_status(hook_id, status, n=1, timeout=20.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        rows = [d for d in deliveries(hook_id) if d["status"] == status]
        if len(rows) >= n:
            return rows
        time.sleep(0.1)
    raise AssertionError(f"no {status} deliveries: {deliveries(hook_id)}")


def setup():
    global INBOX
    S.init()
    S.start()
    admin = S.client()
    admin.login("admin@acme.test", "admin-password-1")
    C["admin"] = admin
    for name, role in (("agent", "agent"), ("sup", "supervisor"), ("ann", "analyst")):
        r = admin.post("/api/v1/users", {"email": f"{name}@acme.test", "role": role,
                                          "name": name.title(), "password": PW})
        assert r.status == 201, r
        c = S.client()
        c.login(f"{name}@acme.test", PW)
        C[name] = c
    r = admin.post("/api/v1/inboxes", {"name": "Partner API", "channel": "api",
                                       "settings": {"hmac_secret": INBOX_SECRET},
                                       "policy": "manual"})
    assert r.status == 201, r
    INBOX = r.json["id"]


def test_roles_and_validation():
    for who in ("agent", "sup", "ann"):
        assert_problem(C[who].get("/api/v1/webhooks"), 403)
        assert_problem(C[who].post("/api/v1/webhooks", {"url": R.url + "/x",
                                                        "events": ["message.created"]}), 403)
    a = C["admin"]
    for body, ptr in (
        ({"url": "ftp://example.com/x", "events": ["message.created"]}, "/url"),
        ({"url": "not a url", "events": ["message.created"]}, "/url"),
        ({"url": "http:///nohost", "events": ["message.created"]}, "/url"),
        ({"events": ["message.created"]}, "/url"),
        ({"url": R.url + "/x"}, "/events"),
        ({"url": R.url + "/x", "events": []}, "/events"),
        ({"url": R.url + "/x", "events": "message.created"}, "/events"),
        ({"url": R.url + "/x", "events": ["message.created", "fax.sent"]}, "/events/1"),
        ({"url": R.url + "/x", "events": ["Message.Created"]}, "/events/0"),
        ({"url": R.url + "/x", "events": ["notification.*"]}, "/events/0"),
        ({"url": R.url + "/x", "events": [3]}, "/events/0"),
        ({"url": R.url + "/x", "events": ["*"], "format": "xml"}, "/format"),
        ({"url": R.url + "/x", "events": ["*"], "secret": "short"}, "/secret"),
        ({"url": R.url + "/x", "events": ["*"], "secret": "has spaces in it, long enough"},
         "/secret"),
        ({"url": R.url + "/x", "events": ["*"], "colour": "red"}, "/colour"),
    ):
        assert_problem(a.post("/api/v1/webhooks", body), 422, ptr)
    assert_problem(a.get("/api/v1/webhooks/999999"), 404)
    assert_problem(a.patch("/api/v1/webhooks/999999", {"active": False}), 404)
    assert_problem(a.delete("/api/v1/webhooks/999999"), 404)
    assert_problem(a.post("/api/v1/webhooks/999999/test"), 404)


def test_secret_shown_once_sealed_and_rotated():
    a = C["admin"]
    hook = subscribe("/secret", ["sla.breached"], name="Pager")
    assert hook["secret"].startswith("whsec_") and len(hook["secret"]) > 40, hook
    assert hook["format"] == "json" and hook["active"] is True and hook["name"] == "Pager"
    got = a.get(f"/api/v1/webhooks/{hook['id']}").json
    assert got["secret"] == "********" and got["events"] == ["sla.breached"]
    assert hook["secret"] not in a.get("/api/v1/webhooks").text
    raw = open(S.db, "rb").read() + open(S.db + "-wal", "rb").read()
    assert hook["secret"].encode() not in raw, "the secret must be sealed at rest"
    # the event log records the origin only (a URL path can be a credential)
    ev = a.get("/api/v1/events?type=webhook.created").json["data"][-1]
    assert ev["payload"]["url_origin"] == R.url and "/secret" not in json.dumps(ev)
    r = a.patch(f"/api/v1/webhooks/{hook['id']}", {"rotate_secret": True})
    assert r.status == 200 and r.json["secret"].startswith("whsec_")
    assert r.json["secret"] != hook["secret"]
    r = a.patch(f"/api/v1/webhooks/{hook['id']}", {"name": "Pager 2"})
    assert r.json["secret"] == "********" and r.json["name"] == "Pager 2"
    assert_problem(a.patch(f"/api/v1/webhooks/{hook['id']}", {"url": None}), 422, "/url")
    assert a.delete(f"/api/v1/webhooks/{hook['id']}").status == 204
    assert_problem(a.get(f"/api/v1/webhooks/{hook['id']}"), 404)


def test_ingest_delivered_signed_exactly_once():
    hook = subscribe("/main", ["message.created", "conversation.*"])
    secret = hook["secret"]
    r1 = deliver("wh-1", "carol", "Where is my parcel?")
    r2 = deliver("wh-2", "carol", "Hello again?")
    want = {(e["id"], e["type"]) for e in C["admin"].get(
        "/api/v1/events?type=message.&limit=100").json["data"]
        if e["payload"].get("message", {}).get("conversation_id") == r1["conversation_id"]}
    assert len(want) == 2, want
    got = R.wait("/main", 3)
    time.sleep(0.5)  # anything more would be a duplicate
    got = R.at("/main")
    seen = {}
    for req in got:
        assert verify(req, secret)
        body = json.loads(req["body"])
        ev = body["event"]
        assert req["headers"]["X-Parley-Event"] == ev["type"]
        assert req["headers"]["X-Parley-Delivery"] == str(body["delivery_id"])
        assert req["headers"]["Content-Type"] == "application/json"
        assert body["webhook_id"] == hook["id"]
        assert ev["type"] == "message.created" or ev["type"].startswith("conversation.")
        assert ev["id"] not in seen, f"event {ev['id']} delivered twice"
        seen[ev["id"]] = ev["type"]
    types = sorted(seen.values())
    assert types.count("message.created") == 2 and "conversation.created" in types, types
    assert {(i, t) for i, t in seen.items() if t == "message.created"} == want
    msg = [json.loads(q["body"])["event"] for q in got
           if json.loads(q["body"])["event"]["type"] == "message.created"][0]
    assert msg["payload"]["message"]["body"] in ("Where is my parcel?", "Hello again?")
    assert r2["conversation_id"] == r1["conversation_id"]
    rows = deliveries(hook["id"])
    assert len(rows) == len(got) and all(d["status"] == "sent" for d in rows), rows
    assert all(d["attempts"] == 1 and d["last_status"] == 200 for d in rows), rows
    # a tampered body does not verify
    bad = dict(got[0], body=got[0]["body"] + b" ")
    try:
        verify(bad, secret)
        raise AssertionError("a changed body verified")
    except AssertionError as e:
        assert "bad signature" in str(e)
    # notes mention people: personal notification.* events never leave
    C["admin"].patch("/api/v1/webhooks/%d" % hook["id"], {"events": ["*"]})
    n0 = len(R.at("/main"))
    r = C["admin"].post(f"/api/v1/conversations/{r1['conversation_id']}/messages",
                        {"body": "@agent please look", "kind": "note"})
    assert r.status in (200, 201), r
    R.wait("/main", n0 + 1)
    time.sleep(0.5)
    kinds = [json.loads(q["body"])["event"]["type"] for q in R.at("/main")[n0:]]
    assert "message.created" in kinds and not any(k.startswith("notification.") for k in kinds)
    assert not any(k.startswith("webhook.") for k in kinds), kinds
    C["admin"].patch("/api/v1/webhooks/%d" % hook["id"], {"active": False})


def test_retry_then_success():
    hook = subscribe("/flaky", ["conversation.*"])
    R.script["/flaky"] = [500, 500, 200]
    r = C["admin"].post(f"/api/v1/webhooks/{hook['id']}/test")
    assert r.status == 202 and r.json["event_type"] == "webhook.test", r
    did = r.json["id"]
    got = R.wait("/flaky", 3)
    assert len(got) == 3, got
    assert all(q["headers"]["X-Parley-Delivery"] == str(did) for q in got)
    assert len({q["body"] for q in got}) == 1, "every retry carries the same body"
    for q in got:
        verify(q, hook["secret"])  # re-signed at each attempt
    assert got[1]["at"] - got[0]["at"] >= 0.015 and got[2]["at"] - got[1]["at"] >= 0.07
    row = wait_status(hook["id"], "sent")[0]
    assert row["attempts"] == 3 and row["last_status"] == 200 and row["last_error"] is None, row
    assert json.loads(got[0]["body"])["event"]["type"] == "webhook.test"


def test_dead_receiver_goes_dead():
    hook = subscribe("/dead", ["conversation.*"])
    R.script["/dead"] = [503]
    C["admin"].post(f"/api/v1/webhooks/{hook['id']}/test")
    row = wait_status(hook["id"], "dead", timeout=30)[0]
    assert row["attempts"] == MAX_ATTEMPTS and row["last_status"] == 503, row
    assert row["last_error"].startswith("HTTP 503") and "receiver says no" in row["last_error"]
    assert row["next_attempt_at"] is None
    assert len(R.at("/dead")) == MAX_ATTEMPTS
    r = C["admin"].get(f"/api/v1/webhooks/{hook['id']}/deliveries?status=dead")
    assert [d["id"] for d in r.json["data"]] == [row["id"]]
    assert_problem(C["admin"].get(f"/api/v1/webhooks/{hook['id']}/deliveries?status=x"), 400)
    ev = C["admin"].get("/api/v1/events?type=webhook.dead").json["data"]
    assert any(e["payload"]["delivery_id"] == row["id"] for e in ev), ev
    # a receiver that is not even listening: connection errors are recorded too
    gone = C["admin"].post("/api/v1/webhooks", {"url": "http://127.0.0.1:9/nothing",
                                                "events": ["sla.breached"]}).json
    C["admin"].post(f"/api/v1/webhooks/{gone['id']}/test")
    deadline = time.time() + 10
    while time.time() < deadline:
        rows = deliveries(gone["id"])
        if rows and rows[0]["attempts"] >= 1:
            break
        time.sleep(0.1)
    assert rows[0]["last_status"] is None and rows[0]["last_error"], rows
    C["admin"].delete(f"/api/v1/webhooks/{gone['id']}")


def test_slack_format():
    hook = subscribe("/slack", ["conversation.resolved", "sla.breached"], format="slack")
    res = deliver("wh-slack", "dora", "Please close my ticket")
    cid = res["conversation_id"]
    r = C["admin"].patch(f"/api/v1/conversations/{cid}", {"status": "resolved"})
    assert r.status == 200, r
    got = R.wait("/slack", 1)
    assert len(got) == 1, got
    body = json.loads(got[0]["body"])
    assert list(body) == ["text"], body
    assert body["text"].startswith(f":white_check_mark: Conversation #{cid} resolved (Partner API"
                                   ), body
    assert "\n" not in body["text"]


def test_accounts_are_isolated():
    S.cli("init", "--db", S.db, "--account", "Globex", "--admin", "admin@globex.test",
          stdin="globex-password-1\n")
    g = S.client()
    g.login("admin@globex.test", "globex-password-1")
    ghook = subscribe("/globex", ["*"], client=g)
    acme = C["admin"].get("/api/v1/webhooks").json["data"]
    assert ghook["id"] not in [h["id"] for h in acme]
    assert [h["id"] for h in g.get("/api/v1/webhooks").json["data"]] == [ghook["id"]]
    for h in acme[:1]:
        assert_problem(g.get(f"/api/v1/webhooks/{h['id']}"), 404)
        assert_problem(g.get(f"/api/v1/webhooks/{h['id']}/deliveries"), 404)
        assert_problem(g.patch(f"/api/v1/webhooks/{h['id']}", {"active": False}), 404)
        assert_problem(g.post(f"/api/v1/webhooks/{h['id']}/test"), 404)
    probe = subscribe("/acme-probe", ["message.created"])
    deliver("wh-iso", "erin", "Acme only")
    assert len(R.wait("/acme-probe", 1)) == 1
    g.post("/api/v1/labels", {"name": "globex-label"})  # a Globex event reaches Globex
    got = R.wait("/globex", 1)
    time.sleep(0.3)
    got = R.at("/globex")
    types = [json.loads(q["body"])["event"]["type"] for q in got]
    assert types == ["label.created"], types
    C["admin"].delete(f"/api/v1/webhooks/{probe['id']}")


def test_restart_loses_and_repeats_nothing():
    hook = subscribe("/restart", ["user.*"])
    r = C["admin"].post("/api/v1/users", {"email": "before@acme.test", "role": "agent",
                                          "password": PW})
    assert r.status == 201
    assert len(R.wait("/restart", 1)) == 1
    # a pending retry survives the restart too
    R.script["/restart"] = [500, 200]
    C["admin"].post("/api/v1/users", {"email": "retry@acme.test", "role": "agent",
                                      "password": PW})
    R.wait("/restart", 2)
    S.stop()
    # events written while the server is down are picked up from the cursor
    S.cli("user", "add", "--db", S.db, "--account", "1", "--email", "offline@acme.test",
          "--role", "agent", stdin=PW + "\n")
    S.start()
    C["admin"].login("admin@acme.test", "admin-password-1")
    want = {"before@acme.test", "retry@acme.test", "offline@acme.test"}

    def emails():
        out = []
        for q in R.at("/restart"):
            if q["headers"].get("X-Parley-Event") == "user.created":
                out.append(json.loads(q["body"])["event"]["payload"].get("email"))
        return out

    deadline = time.time() + 15
    while time.time() < deadline and set(emails()) != want:
        time.sleep(0.1)
    time.sleep(0.5)
    rows = deliveries(hook["id"])
    assert all(d["status"] == "sent" for d in rows), rows
    sent_ok = [e for e in emails()]
    # the retried one was answered 500 once: it arrived twice, the others once
    assert sorted(set(sent_ok)) == sorted(want), sent_ok
    ids = [d["event_id"] for d in rows]
    assert len(ids) == len(set(ids)) == 3, rows
    ok_bodies = {}
    for q in R.at("/restart"):
        ok_bodies.setdefault(q["headers"]["X-Parley-Delivery"], []).append(q)
    assert sorted(len(v) for v in ok_bodies.values()) == [1, 1, 2], ok_bodies.keys()
    cursor = db("SELECT last_event_id FROM webhook_subscriptions WHERE id = ?", hook["id"])[0][0]
    assert cursor >= max(ids)


try:
    setup()
    run([test_roles_and_validation, test_secret_shown_once_sealed_and_rotated,
         test_ingest_delivered_signed_exactly_once, test_retry_then_success,
         test_dead_receiver_goes_dead, test_slack_format, test_accounts_are_isolated,
         test_restart_loses_and_repeats_nothing])
finally:
    R.close()
    S.cleanup()
