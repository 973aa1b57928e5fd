"""Service levels end to end over HTTP: business-hours calendars and SLA
policies (validation with pointers, roles), assigning them to an api inbox,
clocks on signed intake (state ok with a due time), sla.warning then
sla.breached in the event log and on the live stream, an escalation rule that
raises the priority to critical and notifies a supervisor, pending that pauses
the clocks, a reply that meets the first-response target, and the public
service-hours endpoint (checked against Python's zoneinfo)."""
import datetime
import hashlib
import hmac
import http.client
import json
import threading
import time
from zoneinfo import ZoneInfo

from harness import Server, assert_problem, run

S = Server()
SECRET = "sla-inbox-hmac-secret-0123456789"
C = {}
U = {}
PW = "sla-password-123"
INBOX = None
IDS = {}


def sign(raw):
    return "sha256=" + hmac.new(SECRET.encode(), raw, hashlib.sha256).hexdigest()


def deliver(msg_id, contact, body, inbox=None):
    raw = json.dumps({"id": msg_id, "contact": {"id": contact, "name": contact.title()},
                      "body": body, "visibility": "private"}).encode()
    r = S.client(csrf=False).request("POST", f"/api/v1/inboxes/{inbox or INBOX}/messages",
                                     raw=raw, headers={"X-Parley-Signature": sign(raw)})
    assert r.status in (200, 201), r
    return r.json


def conv(cid):
    return C["admin"].get(f"/api/v1/conversations/{cid}").json


def events(prefix, cid=None):
    q = f"/api/v1/events?type={prefix}&limit=100"
    if cid:
        q += f"&subject_kind=conversation&subject_id={cid}"
    return C["admin"].get(q).json["data"]


def wait_for(fn, timeout=10.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        v = fn()
        if v:
            return v
        time.sleep(0.1)
    return fn()


def setup():
    global INBOX
    S.init()
    S.start()
    admin = S.client()
    admin.login("admin@acme.test", "admin-password-1")
    C["admin"] = admin
    admin.patch("/api/v1/me", {"availability": "offline"})
    for name, role in (("alice", "agent"), ("sue", "supervisor"), ("ann", "analyst")):
        r = admin.post("/api/v1/users", {"email": f"{name}@acme.test", "role": role,
                                          "name": name.title(), "password": PW, "capacity": 50})
        assert r.status == 201, r
        U[name] = r.json["id"]
        c = S.client()
        c.login(f"{name}@acme.test", PW)
        C[name] = c
    C["alice"].patch("/api/v1/me", {"availability": "online"})
    r = admin.post("/api/v1/inboxes", {"name": "SLA API", "channel": "api",
                                       "settings": {"hmac_secret": SECRET}})
    assert r.status == 201, r
    INBOX = r.json["id"]
    assert r.json["sla_policy_id"] is None and r.json["business_hours_id"] is None, r.json


def test_calendars_validation_and_roles():
    good = {"name": "Always", "timezone": "UTC",
            "weekly": {d: [["00:00", "24:00"]] for d in
                       ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}}
    r = C["admin"].post("/api/v1/business-hours", good)
    assert r.status == 201, r
    assert r.json["description"].startswith("24/7") or "Daily" in r.json["description"], r.json
    IDS["always"] = r.json["id"]
    assert_problem(C["admin"].post("/api/v1/business-hours", good), 409, "/name")
    bad_zone = dict(good, name="Mars", timezone="Mars/Olympus_Mons")
    assert_problem(C["admin"].post("/api/v1/business-hours", bad_zone), 422, "/timezone")
    overlap = {"name": "Overlap", "timezone": "Europe/Paris",
               "weekly": {"mon": [["08:00", "12:00"], ["11:00", "14:00"]]}}
    r = C["admin"].post("/api/v1/business-hours", overlap)
    assert_problem(r, 422)
    assert r.json["errors"][0]["pointer"].startswith("/weekly/mon/1"), r.json
    assert_problem(C["admin"].post("/api/v1/business-hours", dict(good, name="X", extra=1)), 422)
    # supervisors and agents read but do not write calendars
    assert_problem(C["sue"].post("/api/v1/business-hours", dict(good, name="Sue's")), 403)
    assert C["ann"].get(f"/api/v1/business-hours/{IDS['always']}").status == 200
    lst = C["alice"].get("/api/v1/business-hours").json["data"]
    assert [c["id"] for c in lst] == [IDS["always"]]
    # rename, and a partial calendar is refused
    r = C["admin"].patch(f"/api/v1/business-hours/{IDS['always']}", {"name": "Around the clock"})
    assert r.status == 200 and r.json["name"] == "Around the clock"
    assert_problem(C["admin"].patch(f"/api/v1/business-hours/{IDS['always']}",
                                    {"timezone": "UTC"}), 422, "/weekly")
    assert_problem(C["admin"].get("/api/v1/business-hours/99999"), 404)


def test_policies_validation_and_roles():
    neg = {"name": "Neg", "targets": {"medium": {"first_response": {"internal_minutes": -5}}}}
    assert_problem(C["sue"].post("/api/v1/sla-policies", neg), 422,
                   "/targets/medium/first_response/internal_minutes")
    short = {"name": "Short", "targets": {"default": {"first_response": {
        "internal_minutes": 30, "published_minutes": 10}}}}
    assert_problem(C["sue"].post("/api/v1/sla-policies", short), 422,
                   "/targets/default/first_response/published_minutes")
    assert_problem(C["sue"].post("/api/v1/sla-policies",
                                 {"name": "P", "targets": {"urgent": {}}}), 422, "/targets/urgent")
    assert_problem(C["sue"].post("/api/v1/sla-policies", {"name": "P", "targets": {}}), 422,
                   "/targets")
    assert_problem(C["sue"].post("/api/v1/sla-policies", {
        "name": "P", "targets": {"default": {"resolution": {"internal_minutes": 5}}},
        "escalations": [{"on": "sla.breached", "action": "raise_priority"}]}), 422,
        "/escalations/0/priority")
    assert_problem(C["sue"].post("/api/v1/sla-policies", {
        "name": "P", "warning_percent": 120,
        "targets": {"default": {"resolution": {"internal_minutes": 5}}}}), 422, "/warning_percent")
    ok = {"name": "Agents cannot", "targets": {"default": {"resolution": {"internal_minutes": 5}}}}
    assert_problem(C["alice"].post("/api/v1/sla-policies", ok), 403)
    assert_problem(C["ann"].post("/api/v1/sla-policies", ok), 403)
    # escalation references must be of the account
    assert_problem(C["sue"].post("/api/v1/sla-policies", dict(ok, name="Bad team", escalations=[
        {"on": "sla.breached", "action": "assign_team", "team_id": 4242}])), 422)


def test_attach_and_clock_starts_ok():
    policy = {"name": "Fast", "business_hours": True, "warning_percent": 50,
              "targets": {"default": {"first_response": {"internal_seconds": 2,
                                                         "published_seconds": 4},
                                      "resolution": {"internal_minutes": 600}},
                          "critical": {"first_response": {"internal_seconds": 2,
                                                          "published_seconds": 4},
                                       "resolution": {"internal_minutes": 60}}},
              "escalations": [
                  {"on": "sla.breached", "target": "first_response", "action": "raise_priority",
                   "priority": "critical"},
                  {"on": "sla.breached", "target": "first_response", "action": "notify",
                   "user_id": U["sue"]},
                  {"on": "sla.breached", "action": "webhook", "url": "https://hooks.example/x"}]}
    r = C["sue"].post("/api/v1/sla-policies", policy)
    assert r.status == 201, r
    p = r.json
    IDS["fast"] = p["id"]
    assert p["targets"]["medium"]["first_response"] == {"internal_seconds": 2,
                                                        "published_seconds": 4}, p
    assert p["targets"]["low"]["next_response"] is None
    assert [e["action"] for e in p["escalations"]] == ["raise_priority", "notify", "webhook"]
    assert C["ann"].get(f"/api/v1/sla-policies/{p['id']}").json["name"] == "Fast"
    # only admins change inboxes; references are checked
    assert_problem(C["sue"].patch(f"/api/v1/inboxes/{INBOX}", {"sla_policy_id": p["id"]}), 403)
    assert_problem(C["admin"].patch(f"/api/v1/inboxes/{INBOX}", {"sla_policy_id": 777}), 422,
                   "/sla_policy_id")
    assert_problem(C["admin"].patch(f"/api/v1/inboxes/{INBOX}", {"business_hours_id": "x"}), 422,
                   "/business_hours_id")
    r = C["admin"].patch(f"/api/v1/inboxes/{INBOX}", {"sla_policy_id": p["id"],
                                                      "business_hours_id": IDS["always"]})
    assert r.status == 200 and r.json["sla_policy_id"] == p["id"], r
    assert r.json["business_hours_id"] == IDS["always"]
    # in use: neither can be deleted
    assert_problem(C["sue"].delete(f"/api/v1/sla-policies/{p['id']}"), 409)
    assert_problem(C["admin"].delete(f"/api/v1/business-hours/{IDS['always']}"), 409)


def read_stream(conn_resp, needle, timeout):
    buf = b""
    deadline = time.time() + timeout
    conn_resp.fp.raw._sock.settimeout(timeout)
    while needle not in buf and time.time() < deadline:
        try:
            chunk = conn_resp.fp.read1(65536)
        except OSError:
            break
        if not chunk:
            break
        buf += chunk
    return buf


def test_warning_breach_escalation_and_stream():
    conn = http.client.HTTPConnection("127.0.0.1", S.port, timeout=15)
    conn.request("GET", "/api/v1/stream", headers={"Cookie": C["sue"].cookie})
    resp = conn.getresponse()
    assert resp.status == 200
    t0 = time.time()
    res = deliver("sla-1", "carol", "Where is my parcel?")
    cid = res["conversation_id"]
    IDS["breach_conv"] = cid
    c = conv(cid)
    assert c["sla"]["target"] == "first_response" and c["sla"]["state"] == "ok", c["sla"]
    due = datetime.datetime.fromisoformat(c["sla"]["due_at"].replace("Z", "+00:00")).timestamp()
    assert abs(due - (t0 + 2)) < 1.5, (due, t0)
    assert c["sla"]["warning_at"] < c["sla"]["due_at"] < c["sla"]["published_due_at"]
    assert c["priority"] != "critical"
    warn = wait_for(lambda: events("sla.warning", cid), 5)
    assert warn and warn[0]["payload"]["target"] == "first_response", warn
    breached = wait_for(lambda: events("sla.breached", cid), 5)
    assert breached and breached[0]["payload"]["level"] == "internal", breached
    took = time.time() - t0
    assert took < 4.5, took
    c = conv(cid)
    assert c["priority"] == "critical", c
    assert c["sla"]["state"] == "breached" and c["sla"]["target"] == "first_response", c["sla"]
    notes = [e for e in events("notification.sla") if e["payload"]["conversation_id"] == cid]
    assert notes and notes[0]["payload"]["user_id"] == U["sue"], notes
    esc = events("sla.escalated", cid)
    actions = {e["payload"]["action"]: e["payload"] for e in esc}
    assert set(actions) == {"raise_priority", "notify", "webhook"}, esc
    assert actions["webhook"]["delivered"] is False and actions["raise_priority"]["delivered"]
    pub = wait_for(lambda: [e for e in events("sla.breached", cid)
                            if e["payload"]["level"] == "published"], 5)
    assert pub, events("sla.breached", cid)
    buf = read_stream(resp, b"event: sla.breached", 5)
    conn.close()
    assert b"event: sla.warning" in buf and b"event: sla.breached" in buf, buf[-800:]
    assert b"event: notification.sla" in buf


def test_reply_meets_first_response():
    cid = deliver("sla-2", "dave", "Quick question?")["conversation_id"]
    c = conv(cid)
    assert c["assignee_id"] == U["alice"], c
    r = C["alice"].post(f"/api/v1/conversations/{cid}/messages",
                        {"kind": "note", "body": "a note never counts as a reply"})
    assert r.status == 201
    assert conv(cid)["sla"]["target"] == "first_response"
    r = C["alice"].post(f"/api/v1/conversations/{cid}/messages",
                        {"kind": "reply", "body": "Happy to help!"})
    assert r.status == 201, r
    c = conv(cid)
    assert c["sla"]["target"] == "resolution" and c["sla"]["state"] == "ok", c["sla"]
    met = events("sla.met", cid)
    assert [(e["payload"]["target"], e["payload"]["within_target"]) for e in met] == \
        [("first_response", True)], met
    time.sleep(2.6)
    assert not events("sla.breached", cid) and not events("sla.warning", cid)
    # the customer writes again: a next-response clock? The policy has none: resolution stays
    deliver("sla-2b", "dave", "one more thing")
    assert conv(cid)["sla"]["target"] == "resolution"
    # a resolve meets resolution; a reopen starts a new cycle with a first response
    assert C["alice"].patch(f"/api/v1/conversations/{cid}", {"status": "resolved"}).status == 200
    assert conv(cid)["sla"] is None
    deliver("sla-2c", "dave", "it broke again")
    c = conv(cid)
    assert c["status"] == "open" and c["sla"]["target"] == "first_response", c


def test_pending_pauses_clocks():
    cid = deliver("sla-3", "erin", "Billing problem?")["conversation_id"]
    r = C["alice"].patch(f"/api/v1/conversations/{cid}", {"status": "pending"})
    assert r.status == 200, r
    s = conv(cid)["sla"]
    assert s["paused"] is True and s["due_at"] is None, s
    time.sleep(2.8)
    assert not events("sla.breached", cid) and not events("sla.warning", cid)
    t0 = time.time()
    assert C["alice"].patch(f"/api/v1/conversations/{cid}", {"status": "open"}).status == 200
    s = conv(cid)["sla"]
    assert s["paused"] is False and s["state"] == "ok", s
    due = datetime.datetime.fromisoformat(s["due_at"].replace("Z", "+00:00")).timestamp()
    assert due > t0 + 1.0, (due, t0)  # the 2 s target restarted from what was left
    assert wait_for(lambda: events("sla.breached", cid), 5)


def test_service_hours_public():
    cal = {"name": "Paris office", "timezone": "Europe/Paris",
           "weekly": {d: [["08:00", "20:00"]] for d in ("mon", "tue", "wed", "thu", "fri")},
           "holidays": [{"date": "2026-12-25", "name": "Christmas"}]}
    r = C["admin"].post("/api/v1/business-hours", cal)
    assert r.status == 201, r
    assert "Mon-Fri 08:00-20:00" in r.json["description"], r.json
    pol = C["sue"].post("/api/v1/sla-policies", {
        "name": "Social", "targets": {"default": {"first_response": {
            "internal_minutes": 30, "published_minutes": 60}},
            "critical": {"first_response": {"internal_minutes": 10, "published_minutes": 15}}}})
    assert pol.status == 201, pol
    r = C["admin"].post("/api/v1/inboxes", {"name": "Website", "channel": "api",
                                            "settings": {"hmac_secret": SECRET},
                                            "business_hours_id": r.json["id"],
                                            "sla_policy_id": pol.json["id"]})
    assert r.status == 201, r
    site = r.json["id"]
    anon = S.client()
    r = anon.get(f"/api/v1/inboxes/{site}/service-hours")
    assert r.status == 200, r
    j = r.json
    assert j["timezone"] == "Europe/Paris" and j["published_first_response_minutes"] == 60, j
    assert j["published_first_response_minutes_by_priority"]["critical"] == 15
    assert "we answer within 60 minutes" in j["message"].lower() and "08:00-20:00" in j["message"]
    now = datetime.datetime.now(ZoneInfo("Europe/Paris"))
    expect_open = now.weekday() < 5 and 8 <= now.hour < 20 and now.strftime("%m-%d") != "12-25"
    assert j["open_now"] == expect_open, (j, now)
    nxt = datetime.datetime.fromisoformat(j["next_open"].replace("Z", "+00:00"))
    local = nxt.astimezone(ZoneInfo("Europe/Paris"))
    if expect_open:
        assert abs(nxt.timestamp() - time.time()) < 5
    else:
        assert local.weekday() < 5 and (local.hour, local.minute) == (8, 0), local
    assert "hmac" not in r.text and "SLA API" not in r.text  # only hours and the window
    assert_problem(anon.get("/api/v1/inboxes/99999/service-hours"), 404)
    # an inbox with no calendar and no policy answers around the clock
    r = anon.get(f"/api/v1/inboxes/{INBOX}/service-hours").json
    assert r["open_now"] is True


def test_policy_patch_and_delete():
    pid = IDS["fast"]
    r = C["sue"].patch(f"/api/v1/sla-policies/{pid}", {"warning_percent": 75,
                                                        "escalations": []})
    assert r.status == 200 and r.json["warning_percent"] == 75 and r.json["escalations"] == [], r
    assert r.json["targets"]["medium"]["first_response"]["internal_seconds"] == 2
    assert_problem(C["alice"].patch(f"/api/v1/sla-policies/{pid}", {"name": "x"}), 403)
    r = C["sue"].post("/api/v1/sla-policies", {"name": "Unused", "targets": {
        "default": {"resolution": {"internal_minutes": 5}}}})
    assert C["sue"].delete(f"/api/v1/sla-policies/{r.json['id']}").status == 204
    assert_problem(C["sue"].get(f"/api/v1/sla-policies/{r.json['id']}"), 404)
    ev = C["admin"].get("/api/v1/events?type=sla_policy.").json["data"]
    assert {"sla_policy.created", "sla_policy.updated", "sla_policy.deleted"} <= \
        {e["type"] for e in ev}


try:
    setup()
    run([test_calendars_validation_and_roles, test_policies_validation_and_roles,
         test_attach_and_clock_starts_ok, test_warning_breach_escalation_and_stream,
         test_reply_meets_first_response, test_pending_pauses_clocks,
         test_service_hours_public, test_policy_patch_and_delete])
finally:
    S.cleanup()
