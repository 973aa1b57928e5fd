"""The website chat widget (`web` channel) end to end over HTTP: inbox settings,
the widget token and allowed origins (CORS preflight and answers), a visitor's
messages reaching the desk, the visitor token binding a chat to its visitor,
agents' replies in the visitor's GET and live on the visitor's stream, internal
notes never shown, one visitor never seeing another's chat, identity HMAC of
logged-in customers (verified vs forged), idempotent client ids, malformed and
oversized bodies as problem+json, the script and the demo page."""
import hashlib
import hmac
import json
import socket
import sqlite3
import time

from harness import Server, assert_problem, run

S = Server("--stream-heartbeat", "1", "--max-body", "32768")
TOKEN = "widget-token-0123456789abcdef"
ID_SECRET = "identity-secret-0123456789"
SHOP = "https://shop.example.com"
EVIL = "https://evil.example.net"
C = {}
ctx = {}


def inbox_path(suffix="", inbox=None):
    return f"/widget/{inbox or ctx['inbox']}{suffix}"


def visitor_post(body, token=TOKEN, origin=SHOP, visitor_token=None, inbox=None, raw=None,
                 headers=None):
    h = {"Origin": origin, "X-Parley-Widget-Token": token}
    if visitor_token:
        h["X-Parley-Visitor-Token"] = visitor_token
    h.update(headers or {})
    c = S.client(csrf=False)
    if raw is not None:
        return c.request("POST", inbox_path("/messages", inbox), raw=raw, headers=h)
    return c.request("POST", inbox_path("/messages", inbox), body=body, headers=h)


def visitor_get(visitor_id, visitor_token=None, identity_hash=None, after=0, origin=SHOP,
                token=TOKEN):
    q = f"?visitor_id={visitor_id}&after={after}"
    if identity_hash:
        q += f"&identity_hash={identity_hash}"
    h = {"Origin": origin, "X-Parley-Widget-Token": token}
    if visitor_token:
        h["X-Parley-Visitor-Token"] = visitor_token
    return S.client(csrf=False).get(inbox_path("/messages" + q), headers=h)


def db():
    return sqlite3.connect(S.db)


def count(sql, *args):
    with db() as c:
        return c.execute(sql, args).fetchone()[0]


def id_hash(visitor_id):
    return hmac.new(ID_SECRET.encode(), visitor_id.encode(), hashlib.sha256).hexdigest()


class Stream:
    """One text/event-stream connection read from a raw socket, like an EventSource."""

    def __init__(self, path, headers=None):
        self.sock = socket.create_connection(("127.0.0.1", S.port), timeout=10)
        lines = [f"GET {path} HTTP/1.1", f"Host: 127.0.0.1:{S.port}",
                 "Accept: text/event-stream"]
        for k, v in (headers or {}).items():
            lines.append(f"{k}: {v}")
        self.sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        self.raw, self.body, self.ended = b"", b"", False
        deadline = time.time() + 10
        while b"\r\n\r\n" not in self.raw:
            self._recv(deadline)
        head, self.raw = self.raw.split(b"\r\n\r\n", 1)
        first, *hdrs = head.decode().split("\r\n")
        self.status = int(first.split()[1])
        self.headers = {}
        for h in hdrs:
            k, v = h.split(":", 1)
            self.headers[k.strip().lower()] = v.strip()
        self.chunked = "chunked" in self.headers.get("transfer-encoding", "")
        if not self.chunked:
            n = int(self.headers.get("content-length", "0"))
            while len(self.raw) < n:
                self._recv(deadline)
            self.json = json.loads(self.raw[:n]) if n else None
            self.close()

    def _recv(self, deadline):
        left = deadline - time.time()
        if left <= 0:
            raise TimeoutError
        self.sock.settimeout(left)
        try:
            data = self.sock.recv(65536)
        except socket.timeout:
            raise TimeoutError from None
        if not data:
            raise EOFError("the server closed the stream")
        self.raw += data

    def _dechunk(self):
        while True:
            i = self.raw.find(b"\r\n")
            if i < 0:
                return
            size = int(self.raw[:i].split(b";")[0], 16)
            if size == 0:
                self.ended = True
                return
            if len(self.raw) < i + 2 + size + 2:
                return
            self.body += self.raw[i + 2:i + 2 + size]
            self.raw = self.raw[i + 2 + size + 2:]

    def next_event(self, timeout=10):
        """The next SSE block with data: {'id','event','data'}."""
        deadline = time.time() + timeout
        while True:
            while b"\n\n" not in self.body:
                if self.ended:
                    raise EOFError("the stream ended")
                self._recv(deadline)
                self._dechunk()
            block, self.body = self.body.split(b"\n\n", 1)
            out = {}
            for line in block.decode().split("\n"):
                if line.startswith(":"):
                    continue
                k, _, v = line.partition(":")
                out[k] = v[1:] if v.startswith(" ") else v
            if "data" in out:
                return {"id": int(out["id"]) if "id" in out else None,
                        "event": out.get("event"), "data": json.loads(out["data"])}

    def events_until(self, pred, timeout=10):
        """Events up to and including the first one pred accepts."""
        deadline = time.time() + timeout
        seen = []
        while True:
            e = self.next_event(max(0.01, deadline - time.time()))
            seen.append(e)
            if pred(e):
                return seen

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


def stream_path(visitor_id, visitor_token=None, identity_hash=None, after=0, token=TOKEN):
    q = f"?visitor_id={visitor_id}&token={token}&after={after}"
    if visitor_token:
        q += f"&visitor_token={visitor_token}"
    if identity_hash:
        q += f"&identity_hash={identity_hash}"
    return inbox_path("/stream" + q)


def setup():
    S.init()
    S.start()
    admin = S.client()
    admin.login("admin@acme.test", "admin-password-1")
    C["admin"] = admin
    r = admin.post("/api/v1/users", {"email": "amy@acme.test", "role": "agent", "name": "Amy Agent",
                                      "password": "agent-password-123"})
    assert r.status == 201, r
    amy = S.client()
    amy.login("amy@acme.test", "agent-password-123")
    C["amy"] = amy
    r = admin.post("/api/v1/inboxes", {"name": "Shop chat", "channel": "web", "settings": {
        "widget_token": TOKEN, "allowed_origins": [SHOP, "http://localhost:3000/"],
        "identity_secret": ID_SECRET, "greeting": "Hi! How can we help?", "color": "#0a7d52"}})
    assert r.status == 201, r
    ctx["inbox"] = r.json["id"]
    r = admin.post("/api/v1/inboxes", {"name": "Partner API", "channel": "api",
                                       "settings": {"hmac_secret": "s" * 24}})
    assert r.status == 201, r
    ctx["api_inbox"] = r.json["id"]


def test_settings_validated_and_masked():
    a = C["admin"]
    base = {"name": "x", "channel": "web"}
    assert_problem(a.post("/api/v1/inboxes", dict(base, settings={})), 422, "/settings/widget_token")
    assert_problem(a.post("/api/v1/inboxes", dict(base, settings={"widget_token": "short"})), 422,
                   "/settings/widget_token")
    assert_problem(a.post("/api/v1/inboxes", dict(base, settings={
        "widget_token": TOKEN, "allowed_origins": SHOP})), 422, "/settings/allowed_origins")
    assert_problem(a.post("/api/v1/inboxes", dict(base, settings={
        "widget_token": TOKEN, "allowed_origins": [SHOP, "https://shop.example.com/path"]})), 422,
        "/settings/allowed_origins/1")
    assert_problem(a.post("/api/v1/inboxes", dict(base, settings={
        "widget_token": TOKEN, "allowed_origins": ["javascript:alert(1)"]})), 422,
        "/settings/allowed_origins/0")
    assert_problem(a.post("/api/v1/inboxes", dict(base, settings={
        "widget_token": TOKEN, "identity_secret": "tiny"})), 422, "/settings/identity_secret")
    assert_problem(a.post("/api/v1/inboxes", dict(base, settings={
        "widget_token": TOKEN, "colour": "#fff"})), 422, "/settings/colour")
    r = a.get(f"/api/v1/inboxes/{ctx['inbox']}")
    assert r.status == 200, r
    s = r.json["settings"]
    assert s["widget_token"] == "********" and s["identity_secret"] == "********", s
    assert s["allowed_origins"] == [SHOP, "http://localhost:3000/"], s
    assert TOKEN.encode() not in open(S.db, "rb").read(), "settings must be encrypted at rest"


def test_preflight():
    c = S.client(csrf=False)
    for path in ("/messages", "/stream", "/config"):
        r = c.request("OPTIONS", inbox_path(path), headers={
            "Origin": SHOP, "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type,x-parley-widget-token"})
        assert r.status == 204, r
        assert r.header("access-control-allow-origin") == SHOP, r.headers
        assert "POST" in r.header("access-control-allow-methods"), r.headers
        allow_h = r.header("access-control-allow-headers").lower()
        assert "x-parley-widget-token" in allow_h and "content-type" in allow_h, r.headers
        assert "x-parley-visitor-token" in allow_h, r.headers
        assert "origin" in (r.header("vary") or "").lower(), r.headers
    # the port and trailing slash of a configured origin compare as browsers send them
    r = c.request("OPTIONS", inbox_path("/messages"), headers={"Origin": "http://localhost:3000"})
    assert r.status == 204 and r.header("access-control-allow-origin") == "http://localhost:3000"
    r = c.request("OPTIONS", inbox_path("/messages"), headers={"Origin": EVIL})
    assert_problem(r, 403)
    assert r.header("access-control-allow-origin") is None, r.headers
    # a look-alike origin is not the allowed one
    for o in ("https://shop.example.com.evil.net", "http://shop.example.com", "null",
              "https://shop.example.com:8443"):
        r = c.request("OPTIONS", inbox_path("/messages"), headers={"Origin": o})
        assert_problem(r, 403)


def test_wrong_token_401_and_nothing_stored():
    before = count("SELECT count(*) FROM messages")
    r = visitor_post({"visitor_id": "visitor-wrongtok", "id": "m1", "body": "hello"},
                     token="not-the-token-000000")
    assert_problem(r, 401)
    # the allowed origin may read the refusal (so the widget can say what went wrong)
    assert r.header("access-control-allow-origin") == SHOP, r.headers
    r = visitor_post({"visitor_id": "visitor-wrongtok", "id": "m1", "body": "hello"}, token=None)
    assert_problem(r, 401)
    r = visitor_get("visitor-wrongtok", token="nope-nope-nope-nope")
    assert_problem(r, 401)
    assert count("SELECT count(*) FROM messages") == before
    assert count("SELECT count(*) FROM widget_visitors WHERE visitor_key LIKE '%wrongtok%'") == 0


def test_disallowed_origin_403():
    before = count("SELECT count(*) FROM messages")
    r = visitor_post({"visitor_id": "visitor-evilorigin", "id": "m1", "body": "hi"}, origin=EVIL)
    assert_problem(r, 403)
    assert r.header("access-control-allow-origin") is None
    assert_problem(visitor_get("visitor-evilorigin", visitor_token="x", origin=EVIL), 403)
    assert count("SELECT count(*) FROM messages") == before


def test_visitor_message_reaches_the_desk():
    r = visitor_post({"visitor_id": "visitor-aaaa-1111", "id": "c-1", "body": "Where is my order?",
                      "name": "Vera Visitor", "email": "vera@example.com"})
    assert r.status == 201, r
    assert r.header("access-control-allow-origin") == SHOP, r.headers
    tok = r.json["visitor_token"]
    assert len(tok) >= 40 and r.json["verified"] is False, r.json
    ctx["a"] = {"vid": "visitor-aaaa-1111", "tok": tok, "conv": r.json["conversation_id"],
                "msg": r.json["message_id"]}
    # only the hash of the visitor token is kept
    with db() as c:
        row = c.execute("SELECT visitor_key, token_hash FROM widget_visitors WHERE inbox_id = ?"
                        " AND visitor_key = 'web:visitor-aaaa-1111'", (ctx["inbox"],)).fetchone()
    assert row and row[1] == hashlib.sha256(tok.encode()).hexdigest(), row
    assert tok.encode() not in open(S.db, "rb").read()
    # agents see the conversation, its contact and the message
    r = C["amy"].get(f"/api/v1/conversations/{ctx['a']['conv']}")
    assert r.status == 200 and r.json["inbox_id"] == ctx["inbox"], r
    assert r.json["visibility"] == "private", r.json
    r = C["amy"].get(f"/api/v1/conversations/{ctx['a']['conv']}/messages")
    bodies = [m["body"] for m in r.json["data"]]
    assert bodies == ["Where is my order?"], r.json
    assert r.json["data"][0]["external_id"] == "web:visitor-aaaa-1111:c-1", r.json
    with db() as c:
        ident = c.execute("SELECT external_id, handle, verified FROM contact_identities"
                          " WHERE channel = 'web' AND external_id = 'web:visitor-aaaa-1111'"
                          ).fetchone()
        name = c.execute("SELECT name FROM contacts WHERE id = (SELECT contact_id FROM"
                         " contact_identities WHERE external_id = 'web:visitor-aaaa-1111')"
                         ).fetchone()[0]
    assert ident == ("web:visitor-aaaa-1111", "vera@example.com", 0), ident
    assert name == "Vera Visitor"


def test_idempotent_client_message_id():
    a = ctx["a"]
    r = visitor_post({"visitor_id": a["vid"], "id": "c-1", "body": "Where is my order?"},
                     visitor_token=a["tok"])
    assert r.status == 200 and r.json["duplicate"] is True, r
    assert r.json["message_id"] == a["msg"] and "visitor_token" not in r.json, r.json
    assert count("SELECT count(*) FROM messages WHERE external_id LIKE 'web:visitor-aaaa-1111:%'") == 1
    # the token may also travel in the body
    r = visitor_post({"visitor_id": a["vid"], "id": "c-2", "body": "Order 1234",
                      "visitor_token": a["tok"]})
    assert r.status == 201 and r.json["conversation_id"] == a["conv"], r


def test_existing_visitor_needs_its_token():
    a = ctx["a"]
    before = count("SELECT count(*) FROM messages")
    assert_problem(visitor_post({"visitor_id": a["vid"], "id": "c-x", "body": "impostor"}), 401)
    assert_problem(visitor_post({"visitor_id": a["vid"], "id": "c-x", "body": "impostor"},
                                visitor_token="guess-guess-guess"), 401)
    assert_problem(visitor_get(a["vid"]), 401)
    assert_problem(visitor_get(a["vid"], visitor_token="guess-guess-guess"), 401)
    assert count("SELECT count(*) FROM messages") == before


def test_reply_shown_note_never_and_live_on_the_stream():
    a = ctx["a"]
    r = visitor_get(a["vid"], a["tok"])
    assert r.status == 200, r
    assert [m["from"] for m in r.json["data"]] == ["visitor", "visitor"], r.json
    last = r.json["data"][-1]["id"]
    st = Stream(stream_path(a["vid"], a["tok"], after=last), {"Origin": SHOP})
    try:
        assert st.status == 200, (st.status, st.headers)
        assert st.headers["content-type"] == "text/event-stream"
        assert st.headers.get("access-control-allow-origin") == SHOP, st.headers
        amy = C["amy"]
        r = amy.post(f"/api/v1/conversations/{a['conv']}/messages",
                     {"kind": "note", "body": "INTERNAL: customer seems upset"})
        assert r.status == 201, r
        r = amy.post(f"/api/v1/conversations/{a['conv']}/messages",
                     {"kind": "reply", "body": "It ships tomorrow!", "takeover": True})
        assert r.status == 201, r
        evs = st.events_until(lambda e: e["event"] == "message", timeout=10)
        msgs = [e for e in evs if e["event"] == "message"]
        assert len(msgs) == 1, evs
        m = msgs[0]["data"]
        assert m["body"] == "It ships tomorrow!" and m["from"] == "agent", m
        assert m["author_name"] == "Amy", m
        assert msgs[0]["id"] == m["id"]
        ctx["reply_id"] = m["id"]
    finally:
        st.close()
    r = visitor_get(a["vid"], a["tok"])
    bodies = [m["body"] for m in r.json["data"]]
    assert bodies == ["Where is my order?", "Order 1234", "It ships tomorrow!"], bodies
    assert "INTERNAL" not in r.text
    # after= pages from a cursor
    r = visitor_get(a["vid"], a["tok"], after=last)
    assert [m["body"] for m in r.json["data"]] == ["It ships tomorrow!"], r.json
    # the delivery worker has nothing to send on this channel: the reply is marked sent
    deadline = time.time() + 10
    while time.time() < deadline:
        msgs = C["amy"].get(f"/api/v1/conversations/{a['conv']}/messages").json["data"]
        if [m["delivery_status"] for m in msgs if m["kind"] == "reply"] == ["sent"]:
            break
        time.sleep(0.1)
    else:
        raise AssertionError(f"the reply was never marked sent: {msgs}")


def test_stream_resumes_with_last_event_id_and_shows_typing():
    a = ctx["a"]
    # reconnecting with Last-Event-ID before the reply replays it
    st = Stream(stream_path(a["vid"], a["tok"]), {"Last-Event-ID": str(ctx["reply_id"] - 1)})
    try:
        e = st.next_event()
        assert e["event"] == "message" and e["id"] == ctx["reply_id"], e
        r = C["amy"].post(f"/api/v1/conversations/{a['conv']}/presence", {"state": "typing"})
        assert r.status == 204, r
        e = st.next_event()
        assert e == {"id": None, "event": "typing", "data": {"state": "typing"}}, e
        C["amy"].post(f"/api/v1/conversations/{a['conv']}/presence", {"state": "left"})
        e = st.next_event()
        assert e["event"] == "typing" and e["data"] == {"state": "stopped"}, e
    finally:
        st.close()
    # a stream needs the visitor's own credentials
    st = Stream(stream_path(a["vid"], "guess-guess-guess"))
    assert st.status == 401, st.status
    st = Stream(stream_path(a["vid"], a["tok"], token="wrong-token-wrong-token"))
    assert st.status == 401, st.status
    st = Stream(stream_path(a["vid"], a["tok"]), {"Origin": EVIL})
    assert st.status == 403, st.status


def test_another_visitor_sees_nothing():
    a = ctx["a"]
    r = visitor_post({"visitor_id": "visitor-bbbb-2222", "id": "b-1", "body": "Hello from B"})
    assert r.status == 201, r
    btok = r.json["visitor_token"]
    assert r.json["conversation_id"] != a["conv"]
    r = visitor_get("visitor-bbbb-2222", btok)
    assert [m["body"] for m in r.json["data"]] == ["Hello from B"], r.json
    assert "ships tomorrow" not in r.text and "order" not in r.text.lower()
    # B's token does not open A's chat, nor A's token B's
    assert_problem(visitor_get(a["vid"], btok), 401)
    assert_problem(visitor_get("visitor-bbbb-2222", a["tok"]), 401)
    st = Stream(stream_path(a["vid"], btok))
    assert st.status == 401
    # B's live stream does not carry A's replies
    st = Stream(stream_path("visitor-bbbb-2222", btok, after=10 ** 9))
    try:
        C["amy"].post(f"/api/v1/conversations/{a['conv']}/messages",
                      {"kind": "reply", "body": "Only for A", "takeover": True})
        try:
            e = st.next_event(timeout=2.5)
            raise AssertionError(f"visitor B received {e}")
        except TimeoutError:
            pass
    finally:
        st.close()


def test_identity_hash_verified_and_forged():
    vid = "customer-42"
    before = count("SELECT count(*) FROM messages")
    r = visitor_post({"visitor_id": vid, "id": "f-1", "body": "I am customer 42",
                      "identity_hash": id_hash("customer-43")})
    assert_problem(r, 403, "/identity_hash")
    r = visitor_post({"visitor_id": vid, "id": "f-1", "body": "I am customer 42",
                      "identity_hash": "0" * 64})
    assert_problem(r, 403)
    assert count("SELECT count(*) FROM messages") == before
    r = visitor_post({"visitor_id": vid, "id": "v-1", "body": "Logged in and asking",
                      "identity_hash": id_hash(vid), "name": "Cora Customer"})
    assert r.status == 201 and r.json["verified"] is True, r
    conv = r.json["conversation_id"]
    with db() as c:
        v = c.execute("SELECT verified FROM contact_identities WHERE channel = 'web' AND"
                      " external_id = 'web:verified:customer-42'").fetchone()
    assert v == (1,), v
    # a second device of the same customer: the identity hash alone reads and writes
    r = visitor_get(vid, identity_hash=id_hash(vid))
    assert r.status == 200 and r.json["verified"] is True, r
    assert [m["body"] for m in r.json["data"]] == ["Logged in and asking"], r.json
    r = visitor_post({"visitor_id": vid, "id": "v-2", "body": "From my phone",
                      "identity_hash": id_hash(vid)})
    assert r.status == 201 and r.json["conversation_id"] == conv, r
    assert_problem(visitor_get(vid, identity_hash=id_hash("someone-else")), 403)
    # an anonymous visitor choosing the customer's id gets a chat of its own
    r = visitor_post({"visitor_id": vid, "id": "x-1", "body": "pretending"})
    assert r.status == 201 and r.json["verified"] is False, r
    assert r.json["conversation_id"] != conv
    r = visitor_get(vid, r.json["visitor_token"])
    assert [m["body"] for m in r.json["data"]] == ["pretending"], r.json


def test_malformed_and_oversized_bodies():
    vid = "visitor-cccc-3333"
    c = S.client(csrf=False)
    h = {"Origin": SHOP, "X-Parley-Widget-Token": TOKEN}
    before = count("SELECT count(*) FROM messages")
    assert_problem(visitor_post(None, raw=b'{"visitor_id": "x",'), 400)
    assert_problem(visitor_post(None, raw=b"[1,2]"), 400)
    assert_problem(visitor_post({"visitor_id": vid, "id": "1", "body": "hi", "admin": True}), 422,
                   "/admin")
    assert_problem(visitor_post({"visitor_id": "short", "id": "1", "body": "hi"}), 422,
                   "/visitor_id")
    assert_problem(visitor_post({"visitor_id": "web:x:yyyyyyyy", "id": "1", "body": "hi"}), 422,
                   "/visitor_id")
    assert_problem(visitor_post({"visitor_id": vid, "id": "a:b", "body": "hi"}), 422, "/id")
    assert_problem(visitor_post({"visitor_id": vid, "id": "1"}), 422, "/body")
    assert_problem(visitor_post({"visitor_id": vid, "id": "1", "body": "   "}), 422, "/body")
    assert_problem(visitor_post({"visitor_id": vid, "id": "1", "body": 5}), 422, "/body")
    assert_problem(visitor_post({"visitor_id": vid, "id": "1", "body": "x" * 10001}), 422, "/body")
    assert_problem(visitor_post({"visitor_id": vid, "id": "1", "body": "hi",
                                 "identity_hash": "abc"}), 422, "/identity_hash")
    r = c.request("POST", inbox_path("/messages"), raw=b"x" * 40000, headers=h)
    assert_problem(r, 413)
    r = c.request("POST", inbox_path("/messages"), raw=b"visitor_id=a",
                  headers=dict(h, **{"Content-Type": "application/x-www-form-urlencoded"}))
    assert_problem(r, 415)
    assert_problem(visitor_get("short", "tok"), 400, "/visitor_id")
    assert_problem(visitor_get(ctx["a"]["vid"], ctx["a"]["tok"], after="-3"), 400, "/after")
    assert count("SELECT count(*) FROM messages") == before
    assert count("SELECT count(*) FROM widget_visitors WHERE visitor_key LIKE '%cccc%'") == 0


def test_not_a_web_inbox():
    r = visitor_post({"visitor_id": "visitor-dddd-4444", "id": "1", "body": "hi"},
                     inbox=ctx["api_inbox"])
    assert_problem(r, 404)
    assert_problem(visitor_post({"visitor_id": "visitor-dddd-4444", "id": "1", "body": "hi"},
                                inbox=999999), 404)
    # the generic webhook door is closed for web inboxes: the widget token does not open it
    r = S.client(csrf=False).request("POST", f"/webhooks/{ctx['inbox']}", body={
        "visitor_id": "visitor-dddd-4444", "id": "1", "body": "hi"},
        headers={"X-Parley-Widget-Token": TOKEN})
    assert_problem(r, 401)


def test_script_config_and_demo():
    c = S.client(csrf=False)
    r = c.get("/widget.js")
    assert r.status == 200, r
    assert r.header("content-type").startswith("text/javascript"), r.headers
    assert "attachShadow" in r.text and "EventSource" in r.text
    assert r.header("cross-origin-resource-policy") == "cross-origin"
    r = c.get(inbox_path("/config"), headers={"Origin": SHOP, "X-Parley-Widget-Token": TOKEN})
    assert r.status == 200, r
    assert r.json == {"inbox_id": ctx["inbox"], "name": "Shop chat", "greeting":
                      "Hi! How can we help?", "color": "#0a7d52", "identity": True,
                      "service_hours": r.json["service_hours"]}, r.json
    assert r.json["service_hours"] is None or "open_now" in r.json["service_hours"], r.json
    assert r.header("access-control-allow-origin") == SHOP
    assert_problem(c.get(inbox_path("/config")), 401)
    assert_problem(c.get(f"/widget-demo/{ctx['inbox']}"), 401)
    r = C["amy"].get(f"/widget-demo/{ctx['inbox']}")
    assert r.status == 200 and r.header("content-type").startswith("text/html"), r
    assert f'data-inbox="{ctx["inbox"]}"' in r.text and f'data-token="{TOKEN}"' in r.text
    assert "Content-Security-Policy".lower() in r.headers
    assert_problem(C["amy"].get(f"/widget-demo/{ctx['api_inbox']}"), 404)
    # the demo page is served by Parley itself: its own origin may post without being listed
    own = f"http://127.0.0.1:{S.port}"
    r = visitor_post({"visitor_id": "visitor-demo-5555", "id": "1", "body": "from the demo"},
                     origin=own)
    assert r.status == 201 and r.header("access-control-allow-origin") == own, r


def test_inbox_update_keeps_token_and_changes_origins():
    a = C["admin"]
    r = a.patch(f"/api/v1/inboxes/{ctx['inbox']}", {"settings": {
        "allowed_origins": [SHOP, "https://www.example.org"]}})
    assert r.status == 200, r
    r = visitor_post({"visitor_id": "visitor-eeee-6666", "id": "1", "body": "hi"},
                     origin="https://www.example.org")
    assert r.status == 201, r
    assert_problem(a.patch(f"/api/v1/inboxes/{ctx['inbox']}", {"settings": {
        "allowed_origins": ["ftp://x"]}}), 422, "/settings/allowed_origins/0")


def teardown():
    S.cleanup()


if __name__ == "__main__":
    try:
        setup()
        run([test_settings_validated_and_masked, test_preflight,
             test_wrong_token_401_and_nothing_stored, test_disallowed_origin_403,
             test_visitor_message_reaches_the_desk, test_idempotent_client_message_id,
             test_existing_visitor_needs_its_token,
             test_reply_shown_note_never_and_live_on_the_stream,
             test_stream_resumes_with_last_event_id_and_shows_typing,
             test_another_visitor_sees_nothing, test_identity_hash_verified_and_forged,
             test_malformed_and_oversized_bodies, test_not_a_web_inbox,
             test_script_config_and_demo, test_inbox_update_keeps_token_and_changes_origins])
    finally:
        teardown()
