"""Live updates (GET /api/v1/stream): server-sent events from the event log,
read incrementally from a raw socket the way an EventSource would. Proves
order, the data format (the same object GET /api/v1/events gives), resuming
with Last-Event-ID without loss or repeat, account and personal visibility,
heartbeats, the per-user limit, credentials ending a stream, and a clean
shutdown with streams open."""
import hashlib
import itertools
import json
import socket
import sqlite3
import time

from harness import Server, assert_problem, run

S = Server("--stream-heartbeat", "1")
PW = "stream-password-123"
ctx = {}


class Stream:
    """One text/event-stream connection; decodes chunked framing and SSE blocks."""

    def __init__(self, token=None, cookie=None, last_event_id=None, query=""):
        self.sock = socket.create_connection(("127.0.0.1", S.port), timeout=10)
        lines = [f"GET /api/v1/stream{query} HTTP/1.1", f"Host: 127.0.0.1:{S.port}",
                 "Accept: text/event-stream"]
        if token:
            lines.append("Authorization: Bearer " + token)
        if cookie:
            lines.append("Cookie: " + cookie)
        if last_event_id is not None:
            lines.append(f"Last-Event-ID: {last_event_id}")
        self.sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        self.raw, self.body = b"", b""
        self.ended = False   # saw the terminating chunk: the server ended the stream
        self.eof = False
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
        self.json = None
        if not self.chunked:
            n = int(self.headers.get("content-length", "0"))
            while len(self.raw) < n:
                self._recv(deadline)
            if "json" in self.headers.get("content-type", ""):
                self.json = json.loads(self.raw[:n])
            self.close()

    def header(self, name):
        return self.headers.get(name.lower())

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
            self.eof = True
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

    def next_block(self, timeout):
        """The next SSE block: {'id','event','data','comments','retry'}."""
        deadline = time.time() + timeout
        while b"\n\n" not in self.body:
            if self.ended:
                raise EOFError("the stream ended")
            self._recv(deadline)
            self._dechunk()
        block, self.body = self.body.split(b"\n\n", 1)
        out = {"comments": []}
        for line in block.decode().split("\n"):
            if line.startswith(":"):
                out["comments"].append(line[1:].strip())
            else:
                k, _, v = line.partition(":")
                out[k] = v[1:] if v.startswith(" ") else v
        return out

    def next_event(self, timeout=10):
        deadline = time.time() + timeout
        while True:
            b = self.next_block(max(0.01, deadline - time.time()))
            if "data" in b:
                return {"id": int(b["id"]), "event": b["event"], "data": json.loads(b["data"])}

    def events(self, n, timeout=10):
        return [self.next_event(timeout) for _ in range(n)]

    def quiet(self, seconds):
        """No event arrives for `seconds` (heartbeat comments may)."""
        try:
            e = self.next_event(seconds)
        except TimeoutError:
            return
        raise AssertionError(f"unexpected event {e}")

    def wait_ping(self, timeout):
        deadline = time.time() + timeout
        while True:
            if "ping" in self.next_block(max(0.01, deadline - time.time()))["comments"]:
                return

    def wait_end(self, timeout):
        """Reads (discarding) until the server ends the stream."""
        deadline = time.time() + timeout
        try:
            while not self.ended:
                self._recv(deadline)
                self._dechunk()
        except EOFError:
            pass

    def close(self):
        self.sock.close()


def api_events_after(client, after):
    return client.get(f"/api/v1/events?after={after}&limit=100").json["data"]


def new_user(email, role):
    r = ctx["admin"].post("/api/v1/users", {"email": email, "role": role, "name": email,
                                            "password": PW})
    assert r.status == 201, r
    c = S.client()
    c.login(email, PW)
    tok = c.post("/api/v1/tokens", {"name": "stream"}).json["token"]
    return c, r.json["id"], tok


_avail = itertools.cycle(["away", "online", "offline"])


def touch(client):
    """One event: the user changes availability (user.updated)."""
    r = client.patch("/api/v1/me", {"availability": next(_avail)})
    assert r.status == 200, r


def setup():
    S.init()
    S.start()
    admin = S.client()
    admin.login("admin@acme.test", "admin-password-1")
    ctx["admin"] = admin
    ctx["admin_tok"] = admin.post("/api/v1/tokens", {"name": "stream"}).json["token"]
    ctx["agent"], ctx["agent_id"], ctx["agent_tok"] = new_user("agent@acme.test", "agent")
    S.cli("init", "--db", S.db, "--account", "Globex", "--admin", "admin@globex.test",
          stdin="globex-password-1\n")
    g = S.client()
    g.login("admin@globex.test", "globex-password-1")
    ctx["globex"] = g
    ctx["globex_tok"] = g.post("/api/v1/tokens", {"name": "stream"}).json["token"]


def test_unauthenticated_is_401_and_bad_cursor_400():
    assert_problem(S.client().get("/api/v1/stream"), 401)
    st = Stream()
    assert st.status == 401 and st.header("content-type") == "application/problem+json"
    assert st.json["status"] == 401
    st = Stream(token="pk_not-a-token")
    assert st.status == 401
    st = Stream(token=ctx["admin_tok"], last_event_id="abc")
    assert st.status == 400 and st.json["errors"][0]["pointer"] == "/last_event_id", st.json
    st = Stream(token=ctx["admin_tok"], query="?last_event_id=-4")
    assert st.status == 400


def test_live_events_arrive_in_order_as_the_events_api_shows_them():
    admin = ctx["admin"]
    st = Stream(token=ctx["admin_tok"])
    assert st.status == 200, st.headers
    assert st.header("content-type") == "text/event-stream"
    assert st.header("cache-control") == "no-store"
    # a name that needs escaping: the stored payload is spliced into the data line
    r = admin.post("/api/v1/users", {"email": "live@acme.test", "role": "analyst",
                                     "name": 'Zo\u00eb "Z" \\ a\nb\u2028 \U0001F600'})
    assert r.status == 201
    touch(admin)
    assert admin.post("/api/v1/tokens", {"name": "live"}).status == 201
    evs = st.events(3)
    assert [e["event"] for e in evs] == ["user.created", "user.updated", "token.created"], evs
    ids = [e["id"] for e in evs]
    assert ids == sorted(ids) and len(set(ids)) == 3
    for e in evs:
        assert e["data"]["id"] == e["id"] and e["data"]["type"] == e["event"]
    # exactly what the audit trail holds for the same range, object for object
    api = api_events_after(admin, ids[0] - 1)
    assert [e["data"] for e in evs] == api[:3], (evs, api[:3])
    assert evs[0]["data"]["payload"]["email"] == "live@acme.test"
    assert evs[0]["data"]["payload"]["name"] == 'Zo\u00eb "Z" \\ a\nb\u2028 \U0001F600'
    st.quiet(1.5)
    st.close()


def test_resume_with_last_event_id_loses_and_repeats_nothing():
    admin = ctx["admin"]
    st = Stream(token=ctx["admin_tok"])
    touch(admin)
    first = st.next_event()
    st.close()
    # missed while disconnected
    touch(admin)
    assert admin.post("/api/v1/tokens", {"name": "missed"}).status == 201
    touch(admin)
    missed = api_events_after(admin, first["id"])
    assert len(missed) == 3, missed
    st = Stream(token=ctx["admin_tok"], last_event_id=first["id"])
    got = st.events(3)
    assert [e["id"] for e in got] == [e["id"] for e in missed]
    assert [e["data"] for e in got] == missed
    st.quiet(1.5)  # nothing repeated
    touch(admin)   # then live
    live = st.next_event()
    assert live["id"] > missed[-1]["id"] and live["event"] == "user.updated"
    st.quiet(1.0)
    st.close()
    # the query parameter does the same for EventSource polyfills
    st = Stream(token=ctx["admin_tok"], query=f"?last_event_id={first['id']}")
    got = st.events(4)
    assert [e["id"] for e in got] == [e["id"] for e in missed] + [live["id"]]
    st.quiet(1.0)
    st.close()


def last_event_id():
    db = sqlite3.connect(S.db, timeout=10)
    try:
        return db.execute("SELECT max(id) FROM events").fetchone()[0]
    finally:
        db.close()


def test_replay_spans_several_pages():
    admin = ctx["admin"]
    base = last_event_id()
    n = 420  # more than two pages of 200
    for _ in range(n):
        touch(admin)
    st = Stream(token=ctx["admin_tok"], last_event_id=base)
    got = [st.next_event()["id"] for _ in range(n)]
    assert got == list(range(base + 1, base + n + 1)), (got[:3], got[-3:])
    st.quiet(1.0)
    st.close()


def test_other_account_sees_none_of_it():
    admin, g = ctx["admin"], ctx["globex"]
    gs = Stream(token=ctx["globex_tok"])
    acme = Stream(token=ctx["admin_tok"])
    touch(admin)
    assert admin.post("/api/v1/users", {"email": "secret@acme.test", "role": "agent"}).status == 201
    assert [e["event"] for e in acme.events(2)] == ["user.updated", "user.created"]
    gs.quiet(2.5)  # heartbeats pass, acme's events do not
    touch(g)
    e = gs.next_event()
    assert e["event"] == "user.updated" and e["data"]["actor"]["id"] != 1
    acme.quiet(1.5)
    gs.close()
    acme.close()


def insert_event(account_id, type_, subject_id, payload):
    """Appends a correctly chained event from outside the server (as a second
    process would): it reaches streams at their next wake-up."""
    db = sqlite3.connect(S.db, timeout=10, isolation_level=None)
    try:
        db.execute("BEGIN IMMEDIATE")
        row = db.execute("SELECT id, hash FROM events ORDER BY id DESC LIMIT 1").fetchone()
        eid, prev = row[0] + 1, row[1]
        at = int(time.time() * 1000)
        text = json.dumps(payload, separators=(",", ":"), sort_keys=True)
        canon = json.dumps([eid, account_id, at, "system", 0, type_, "user", subject_id, text],
                           separators=(",", ":"), ensure_ascii=False)
        h = hashlib.sha256((prev + canon).encode()).hexdigest()
        db.execute("INSERT INTO events(id, account_id, at, actor_kind, actor_id, type,"
                   " subject_kind, subject_id, payload, prev_hash, hash)"
                   " VALUES (?, ?, ?, 'system', 0, ?, 'user', ?, ?, ?, ?)",
                   (eid, account_id, at, type_, subject_id, text, prev, h))
        db.execute("COMMIT")
        return eid
    finally:
        db.close()


def test_notifications_go_only_to_their_user():
    a = Stream(token=ctx["admin_tok"])
    b = Stream(token=ctx["agent_tok"])
    to_admin = insert_event(1, "notification.mention", 1, {"user_id": 1, "conversation_id": 7})
    to_agent = insert_event(1, "notification.mention", ctx["agent_id"],
                            {"user_id": ctx["agent_id"], "conversation_id": 8})
    ea = a.next_event(timeout=5)
    assert ea["id"] == to_admin and ea["event"] == "notification.mention"
    assert ea["data"]["payload"] == {"user_id": 1, "conversation_id": 7}
    eb = b.next_event(timeout=5)
    assert eb["id"] == to_agent and eb["data"]["payload"]["user_id"] == ctx["agent_id"]
    a.quiet(1.5)
    b.quiet(0.5)
    # and a resumed stream skips the other user's notification too
    c = Stream(token=ctx["agent_tok"], last_event_id=to_admin - 1)
    assert c.next_event()["id"] == to_agent
    c.quiet(1.0)
    for s in (a, b, c):
        s.close()
    assert S.cli("audit", "verify", "--db", S.db, check=False).returncode == 0


def test_heartbeat_comment_arrives():
    st = Stream(token=ctx["agent_tok"])  # any role may stream
    assert st.status == 200
    t0 = time.time()
    st.wait_ping(timeout=4)
    st.wait_ping(timeout=3)
    assert time.time() - t0 < 5
    st.close()


def test_eleventh_stream_of_a_user_is_429():
    _, _, tok = new_user("many@acme.test", "analyst")
    open_ = [Stream(token=tok) for _ in range(10)]
    assert all(s.status == 200 for s in open_)
    extra = Stream(token=tok)
    assert extra.status == 429 and extra.header("content-type") == "application/problem+json"
    assert extra.json["status"] == 429 and extra.header("retry-after")
    # another user is not affected
    other = Stream(token=ctx["agent_tok"])
    assert other.status == 200
    other.close()
    # a closed stream frees its place once the server notices (next heartbeat)
    open_.pop().close()
    deadline, again = time.time() + 10, None
    while time.time() < deadline:
        again = Stream(token=tok)
        if again.status == 200:
            break
        time.sleep(0.5)
    assert again.status == 200, again.status
    open_.append(again)
    for s in open_:
        s.close()


def test_signing_out_or_revoking_ends_the_stream():
    c, _, tok = new_user("leaving@acme.test", "agent")
    by_cookie = Stream(cookie=c.cookie)
    assert by_cookie.status == 200
    by_token = Stream(token=tok)
    assert by_token.status == 200
    tid = c.get("/api/v1/tokens").json["data"][0]["id"]
    assert c.delete(f"/api/v1/tokens/{tid}").status == 204
    by_token.wait_end(5)
    assert by_token.ended or by_token.eof
    assert not by_cookie.ended
    assert c.post("/api/v1/auth/logout").status in (200, 204)
    by_cookie.wait_end(5)
    assert by_cookie.ended or by_cookie.eof
    by_token.close()
    by_cookie.close()


def test_shutdown_with_streams_open_is_clean():
    streams = [Stream(token=ctx["admin_tok"]), Stream(token=ctx["agent_tok"]),
               Stream(token=ctx["globex_tok"], last_event_id=0)]
    assert all(s.status == 200 for s in streams)
    touch(ctx["admin"])
    streams[0].next_event()
    S.stop()  # asserts exit 0 and no sanitizer report in the log
    for s in streams:
        s.wait_end(5)
        assert s.ended, "the stream should end with its last chunk"
        s.close()


try:
    setup()
    run([test_unauthenticated_is_401_and_bad_cursor_400,
         test_live_events_arrive_in_order_as_the_events_api_shows_them,
         test_resume_with_last_event_id_loses_and_repeats_nothing,
         test_replay_spans_several_pages,
         test_other_account_sees_none_of_it,
         test_notifications_go_only_to_their_user,
         test_heartbeat_comment_arrives,
         test_eleventh_stream_of_a_user_is_429,
         test_signing_out_or_revoking_ends_the_stream,
         test_shutdown_with_streams_open_is_clean])
finally:
    S.cleanup()
