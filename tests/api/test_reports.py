"""Reports end to end over HTTP: intake through a signed api inbox, replies,
notes and resolves; then the summary shows exactly the FRT, resolution time
and counts the event log's timestamps give; breakdowns and series agree;
CSV opens cleanly with the csv module, formula injection is neutralised and
the BOM option works; `parley export`; `parley reports verify` passes, then
fails once a rollup row is altered; analysts read, nobody unsigned does; bad
filters are 400 problems with pointers."""
import csv
import hashlib
import hmac
import io
import json
import sqlite3
import subprocess

from harness import BIN, Server, assert_problem, run

S = Server()
SECRET = "reports-hmac-secret-0123456789"
C = {}
U = {}
INBOX = None
PW = "reports-password-123"
CONV = {}


def deliver(msg_id, contact, body, name=None):
    payload = {"id": msg_id, "contact": {"id": contact, "name": name or contact.title(),
                                         "handle": "@" + contact}, "body": body,
               "visibility": "private"}
    raw = json.dumps(payload).encode()
    sig = "sha256=" + hmac.new(SECRET.encode(), raw, hashlib.sha256).hexdigest()
    r = S.client(csrf=False).request("POST", f"/api/v1/inboxes/{INBOX}/messages", raw=raw,
                                     headers={"X-Parley-Signature": sig})
    assert r.status in (200, 201), r
    return r.json


def events(conv):
    """(at ms, type, payload) of the conversation's events, from the database."""
    db = sqlite3.connect(S.db)
    rows = db.execute("SELECT at, type, payload FROM events ORDER BY id").fetchall()
    db.close()
    out = []
    for at, typ, payload in rows:
        p = json.loads(payload)
        cid = (p.get("conversation") or {}).get("id") or (p.get("message") or {}).get(
            "conversation_id")
        if cid == conv:
            out.append((at, typ, p))
    return out


def setup():
    global INBOX
    S.init()
    S.start()
    admin = S.client()
    admin.login("admin@acme.test", "admin-password-1")
    C["admin"] = admin
    for name, role in (("alice", "agent"), ("sue", "supervisor"), ("ann", "analyst")):
        r = admin.post("/api/v1/users", {"email": f"{name}@acme.test", "role": role,
                                          "name": name.title(), "password": PW})
        assert r.status == 201, r
        U[name] = r.json["id"]
        c = S.client()
        c.login(f"{name}@acme.test", PW)
        C[name] = c
    r = admin.post("/api/v1/inboxes", {"name": "Reports API", "channel": "api",
                                       "settings": {"hmac_secret": SECRET}, "policy": "manual"})
    assert r.status == 201, r
    INBOX = r.json["id"]


def test_intake_reply_resolve_then_exact_summary():
    a = deliver("r-1", "carol", "My parcel is lost")
    b = deliver("r-2", "dave", "=HYPERLINK(\"http://evil\")", name="=cmd|' /C calc'!A0")
    deliver("r-3", "carol", "Any news?")
    CONV["a"], CONV["b"] = a["conversation_id"], b["conversation_id"]
    alice = C["alice"]
    r = alice.post(f"/api/v1/conversations/{CONV['a']}/messages", {"kind": "note", "body": "checking"})
    assert r.status == 201, r
    r = alice.post(f"/api/v1/conversations/{CONV['a']}/messages",
                   {"kind": "reply", "body": "Found it, it arrives tomorrow."})
    assert r.status == 201, r
    r = alice.patch(f"/api/v1/conversations/{CONV['a']}", {"status": "resolved"})
    assert r.status == 200, r
    ev = events(CONV["a"])
    opened = next(at for at, t, _ in ev if t == "conversation.created")
    replied = next(at for at, t, p in ev if t == "message.created"
                   and p["message"]["kind"] == "reply")
    resolved = next(at for at, t, _ in ev if t == "conversation.resolved")
    s = C["ann"].get("/api/v1/reports/summary")
    assert s.status == 200, s
    v = s.json["volume"]
    assert v["received"] == 2 and v["resolved"] == 1 and v["customer_messages"] == 3, v
    assert v["human_replies"] == 1 and v["notes"] == 1 and v["backlog"] == 1, v
    frt = s.json["first_response_time"]
    assert frt["count"] == 1 and frt["mean_seconds"] == round(replied - opened) / 1000, (frt, ev)
    assert frt["median_seconds"] == frt["mean_seconds"] == frt["p90_seconds"]
    res = s.json["resolution_time"]
    assert res["count"] == 1 and res["mean_seconds"] == (resolved - opened) / 1000, res
    assert s.json["response_rate"] == 0.5 and s.json["resolution_rate"] == 0.5
    assert s.json["messages_to_resolution"] == {"count": 1, "mean": 3.0}
    # no calendar on the inbox: business hours equal calendar time
    sb = C["ann"].get("/api/v1/reports/summary?business_hours=true").json
    assert sb["first_response_time"]["mean_seconds"] == frt["mean_seconds"]
    assert sb["query"]["clock"] == "business_hours"


def test_breakdowns_and_series_agree():
    ag = C["sue"].get("/api/v1/reports/agents").json["rows"]
    mine = [r for r in ag if r["agent_id"] == U["alice"]]
    assert mine and mine[0]["volume"]["human_replies"] == 1 and mine[0]["name"] == "Alice", ag
    ib = C["sue"].get("/api/v1/reports/inboxes").json["rows"]
    assert [r["volume"]["received"] for r in ib if r["inbox_id"] == INBOX] == [2], ib
    ts = C["sue"].get("/api/v1/reports/timeseries?by=hour").json
    assert len(ts["points"]) >= 168
    assert sum(p["volume"]["received"] for p in ts["points"]) == 2
    wk = C["sue"].get("/api/v1/reports/timeseries?by=week").json
    assert sum(p["volume"]["received"] for p in wk["points"]) == 2
    assert C["sue"].get("/api/v1/reports/teams").status == 200
    f = C["sue"].get(f"/api/v1/reports/summary?agent={U['alice']}&channel=api&priority=low").json
    assert f["volume"]["received"] == 0  # arrivals belong to nobody, not to an agent


def test_csv_opens_cleanly_and_is_neutralised():
    r = C["ann"].get("/api/v1/reports/conversations.csv")
    assert r.status == 200 and r.header("content-type").startswith("text/csv"), r
    assert r.body.startswith(b"conversation_id,")
    assert b"\r\n" in r.body and b"\n" not in r.body.replace(b"\r\n", b"")
    rows = list(csv.DictReader(io.StringIO(r.body.decode("utf-8"), newline="")))
    assert len(rows) == 2, rows
    row = {int(x["conversation_id"]): x for x in rows}[CONV["a"]]
    assert row["status"] == "resolved" and row["created_at"].endswith("Z")
    assert row["customer_messages"] == "2" and row["human_replies"] == "1"
    s = C["ann"].get("/api/v1/reports/summary").json
    assert float(row["first_response_seconds"]) == s["first_response_time"]["mean_seconds"]
    for name in ("summary", "agents", "inboxes", "teams", "timeseries"):
        r = C["ann"].get(f"/api/v1/reports/{name}.csv")
        assert r.status == 200, (name, r)
        rows = list(csv.reader(io.StringIO(r.body.decode("utf-8"), newline="")))
        assert len(rows) >= 1 and all(len(x) == len(rows[0]) for x in rows), name
    summ = list(csv.DictReader(io.StringIO(C["ann"].get("/api/v1/reports/summary.csv").text,
                                           newline="")))
    assert summ[0]["volume.received"] == "2", summ
    bom = C["ann"].get("/api/v1/reports/summary.csv?bom=1")
    assert bom.body.startswith(b"\xef\xbb\xbfvolume.received")
    out = subprocess.run([BIN, "export", "--db", S.db, "--report", "conversations"],
                         capture_output=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith(b"conversation_id,") and b"\r\n" in out.stdout
    assert out.stdout.count(b"\r\n") == 3  # header and two conversations


def test_injection_neutralised_in_names():
    # the agents report carries user names: a formula in a name is neutralised
    r = C["admin"].patch(f"/api/v1/users/{U['alice']}", {"name": "=1+2"})
    assert r.status == 200, r
    body = C["ann"].get("/api/v1/reports/agents.csv").text
    rows = list(csv.DictReader(io.StringIO(body, newline="")))
    names = [x["name"] for x in rows]
    assert "'=1+2" in names, names
    assert not any(n.startswith(("=", "+", "@")) for n in names)
    C["admin"].patch(f"/api/v1/users/{U['alice']}", {"name": "Alice"})


def test_export_cli_bom_and_out():
    out = S.dir + "/summary.csv"
    p = S.cli("export", "--db", S.db, "--report", "summary", "--bom", "--out", out)
    assert p.returncode == 0
    data = open(out, "rb").read()
    assert data.startswith(b"\xef\xbb\xbf") and data.endswith(b"\r\n")
    bad = S.cli("export", "--db", S.db, "--report", "nope", check=False)
    assert bad.returncode == 2
    bad = S.cli("export", "--db", S.db, "--report", "summary", "--since", "yesterday", check=False)
    assert bad.returncode == 2 and "since" in bad.stderr


def test_digest_json_and_html():
    d = C["ann"].get("/api/v1/reports/digest")
    assert d.status == 200 and "this_week" in d.json and "last_week" in d.json, d
    d = C["ann"].get("/api/v1/reports/digest?week=2026-W11")
    assert d.json["week"] == "2026-W11" and d.json["since"].startswith("2026-03-09"), d.json
    h = C["ann"].get("/api/v1/reports/digest.html?week=2026-W11")
    assert h.status == 200 and h.header("content-type").startswith("text/html")
    assert "Weekly digest 2026-W11" in h.text and "First response time" in h.text
    assert_problem(C["ann"].get("/api/v1/reports/digest?week=2026-11"), 400, "/week")


def test_bad_filters_and_roles():
    assert_problem(C["ann"].get("/api/v1/reports/summary?since=yesterday"), 400, "/since")
    r = C["ann"].get("/api/v1/reports/summary?priority=urgent&inbox=x&business_hours=maybe")
    assert_problem(r, 400, "/priority")
    ptrs = [e["pointer"] for e in r.json["errors"]]
    assert "/inbox" in ptrs and "/business_hours" in ptrs, ptrs
    assert_problem(C["ann"].get("/api/v1/reports/summary?label=nosuch"), 400, "/label")
    assert_problem(C["ann"].get("/api/v1/reports/timeseries?by=minute"), 400, "/by")
    assert_problem(C["ann"].get("/api/v1/reports/timeseries?by=hour&since=2020-01-01T00:00:00Z"),
                   400, "/by")
    assert_problem(C["ann"].get(
        "/api/v1/reports/summary?since=2026-02-01T00:00:00Z&until=2026-01-01T00:00:00Z"), 400,
        "/since")
    anon = S.client()
    assert anon.get("/api/v1/reports/summary").status == 401
    assert anon.get("/api/v1/reports/conversations.csv").status == 401


def test_label_reports_follow_the_labels():
    r = C["admin"].post("/api/v1/labels", {"name": "vip"})
    assert r.status == 201, r
    vip = r.json["id"]
    assert C["sue"].patch(f"/api/v1/conversations/{CONV['a']}",
                          {"labels_add": ["vip"]}).status == 200
    s = C["ann"].get("/api/v1/reports/summary?label=vip").json
    assert s["volume"]["received"] == 1 and s["first_response_time"]["count"] == 1, s
    assert s["volume"]["backlog"] == 0 and s["resolution_rate"] == 1, s
    # the label moves from a (answered, resolved) to b (open): the report follows
    assert C["sue"].patch(f"/api/v1/conversations/{CONV['b']}",
                          {"labels_add": ["vip"]}).status == 200
    assert C["sue"].patch(f"/api/v1/conversations/{CONV['a']}",
                          {"labels_remove": ["vip"]}).status == 200
    s = C["ann"].get("/api/v1/reports/summary?label=vip").json
    assert s["volume"]["received"] == 1 and s["first_response_time"]["count"] == 0, s
    assert s["volume"]["backlog"] == 1, s
    # b's new priority moves its contribution between the label's rows
    assert C["sue"].patch(f"/api/v1/conversations/{CONV['b']}",
                          {"priority": "critical"}).status == 200
    assert C["ann"].get("/api/v1/reports/summary?label=vip&priority=critical"
                        ).json["volume"]["received"] == 1
    assert C["ann"].get("/api/v1/reports/summary?label=vip&priority=low"
                        ).json["volume"]["received"] == 0
    # the label's report equals its conversations, read one by one
    rows = list(csv.DictReader(io.StringIO(
        C["ann"].get("/api/v1/reports/conversations.csv?label=vip").body.decode(), newline="")))
    assert [int(x["conversation_id"]) for x in rows] == [CONV["b"]], rows
    ib = C["ann"].get("/api/v1/reports/inboxes?label=vip").json["rows"]
    assert [(x["inbox_id"], x["volume"]["received"]) for x in ib] == [(INBOX, 1)], ib
    ts = C["ann"].get("/api/v1/reports/timeseries?label=vip&by=day").json["points"]
    assert sum(p["volume"]["received"] for p in ts) == 1
    # a label deleted: its reports are gone with it, the verification agrees
    assert C["admin"].post("/api/v1/labels", {"name": "gone"}).status == 201
    assert C["sue"].patch(f"/api/v1/conversations/{CONV['a']}",
                          {"labels_add": ["gone"]}).status == 200
    gone = [x for x in C["admin"].get("/api/v1/labels").json["data"] if x["name"] == "gone"][0]
    assert C["admin"].delete(f"/api/v1/labels/{gone['id']}").status in (200, 204)
    assert_problem(C["ann"].get("/api/v1/reports/summary?label=gone"), 400, "/label")
    db = sqlite3.connect(S.db)
    left = db.execute("SELECT count(*) FROM report_label_rollups WHERE label_id = ?",
                      (gone["id"],)).fetchone()[0]
    mine = db.execute("SELECT count(*) FROM report_label_rollups WHERE label_id = ?",
                      (vip,)).fetchone()[0]
    db.close()
    assert left == 0 and mine > 0, (left, mine)


def test_verify_passes_then_fails_after_tampering():
    p = S.cli("reports", "verify", "--db", S.db)
    assert p.returncode == 0 and "OK" in p.stdout, p.stdout + p.stderr
    db = sqlite3.connect(S.db)
    db.execute("UPDATE report_rollups SET frt_ms = frt_ms + 1000 WHERE frt_n > 0")
    db.commit()
    db.close()
    p = S.cli("reports", "verify", "--db", S.db, check=False)
    assert p.returncode == 1, p.stdout
    assert "DIFF report_rollups" in p.stdout and "frt_ms" in p.stdout, p.stdout
    p = S.cli("reports", "rebuild", "--db", S.db)
    assert S.cli("reports", "verify", "--db", S.db).returncode == 0
    # a label's rows are checked against its conversations, and rebuilt with them
    db = sqlite3.connect(S.db)
    db.execute("UPDATE report_label_rollups SET msgs_in = msgs_in + 1 WHERE cuboid = 0")
    db.commit()
    db.close()
    p = S.cli("reports", "verify", "--db", S.db, check=False)
    assert p.returncode == 1 and "DIFF report_label_rollups" in p.stdout, p.stdout
    p = S.cli("reports", "rebuild", "--db", S.db)
    assert S.cli("reports", "verify", "--db", S.db).returncode == 0


try:
    setup()
    run([test_intake_reply_resolve_then_exact_summary, test_breakdowns_and_series_agree,
         test_csv_opens_cleanly_and_is_neutralised, test_injection_neutralised_in_names,
         test_export_cli_bom_and_out, test_digest_json_and_html, test_bad_filters_and_roles,
         test_label_reports_follow_the_labels, test_verify_passes_then_fails_after_tampering])
finally:
    S.cleanup()
