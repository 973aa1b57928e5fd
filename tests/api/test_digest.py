"""Account time zone, the weekly digest and SLA notices end to end over HTTP.

The account's settings (IANA zone validated, digest switches, recipients, the
e-mail inbox that sends notices: 422 with pointers, admins only); a digest sent
on demand reaches the supervisors and admins over SMTP (a local fake relay)
with the HTML page as its body and a Slack-format webhook subscribed to
report.digest, once (409 the second time); average handling time from the
console's presence beats, worked out from the event log's timestamps, and
`parley reports verify` agreeing; SLA escalation rules `webhook` (to the
subscription with the rule's URL, signed) and `email` (to a user, the
supervisors, an address) that deliver; and the scheduler driven by
`--clock-start`: the digest goes at Monday 08:00 Europe/Paris and not before,
a restart after 08:00 does not send it again, a server that was down at 08:00
sends the owed digest when it starts, and a digest turned off is not sent;
a recipient the relay refuses (550) is dead at once, a busy relay (451) is
tried again and the message goes."""
import hashlib
import hmac
import json
import os
import sqlite3
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fakes"))
from harness import Server, assert_problem, run  # noqa: E402
from platforms import FakePlatform, FakeSMTP  # noqa: E402

S = Server("--webhook-backoff-ms", "20", "--public-url", "https://desk.acme.test")
SMTP = FakeSMTP()
SECRET = "digest-inbox-hmac-secret-0123"
PW = "digest-password-123"
C, U, IDS = {}, {}, {}


class Receiver(FakePlatform):
    @staticmethod
    def answer(path, seq):
        return 200, {"ok": True}


R = Receiver()


def sign(raw):
    return "sha256=" + hmac.new(SECRET.encode(), raw, hashlib.sha256).hexdigest()


def deliver(msg_id, contact, body):
    raw = json.dumps({"id": msg_id, "contact": {"id": contact, "name": contact.title()},
                      "body": body, "visibility": "private"}).encode()
    r = S.client(csrf=False).request("POST", f"/api/v1/inboxes/{IDS['api']}/messages", raw=raw,
                                     headers={"X-Parley-Signature": sign(raw)})
    assert r.status in (200, 201), r
    return r.json["conversation_id"]


def events(prefix, **q):
    path = f"/api/v1/events?type={prefix}&limit=100"
    for k, v in q.items():
        path += f"&{k}={v}"
    return C["admin"].get(path).json["data"]


def wait_for(fn, timeout=10.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        v = fn()
        if v:
            return v
        time.sleep(0.1)
    return fn()


def ms(iso):
    import datetime
    return round(datetime.datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp() * 1000)


def login_all():
    admin = S.client()
    admin.login("admin@acme.test", "admin-password-1")
    C["admin"] = admin
    for name in U:
        c = S.client()
        c.login(f"{name}@acme.test", PW)
        C[name] = c


def restart(clock_start=None):
    S.stop()
    if clock_start:
        S.env["PARLEY_CLOCK_START"] = clock_start
    else:
        S.env.pop("PARLEY_CLOCK_START", None)
    S.start()
    login_all()


def setup():
    S.init()
    S.start()
    login_all()
    admin = C["admin"]
    admin.patch("/api/v1/me", {"availability": "offline"})
    for name, role in (("alice", "agent"), ("sue", "supervisor"), ("ann", "analyst")):
        r = admin.post("/api/v1/users", {"email": f"{name}@acme.test", "role": role,
                                          "name": name.title(), "password": PW, "capacity": 50})
        assert r.status == 201, r
        U[name] = r.json["id"]
    login_all()
    r = admin.post("/api/v1/inboxes", {"name": "Digest API", "channel": "api", "policy": "manual",
                                       "settings": {"hmac_secret": SECRET}})
    assert r.status == 201, r
    IDS["api"] = r.json["id"]
    r = admin.post("/api/v1/inboxes", {"name": "Mail", "channel": "email", "settings": {
        "address": "support@acme.test", "smtp_url": f"smtp://127.0.0.1:{SMTP.port}",
        "from_name": "Acme Support"}})
    assert r.status == 201, r
    IDS["mail"] = r.json["id"]
    r = admin.post("/api/v1/webhooks", {"url": R.url + "/slack", "events": ["report.digest"],
                                        "format": "slack"})
    assert r.status == 201, r


def test_account_settings_validated():
    a = C["ann"].get("/api/v1/account").json
    assert a["timezone"] == "UTC" and a["mail_inbox_id"] is None, a
    assert a["digest"]["enabled"] is True and a["digest"]["email"] is True, a
    assert a["digest"]["recipients"] is None, a
    for who in ("sue", "ann", "alice"):
        assert_problem(C[who].patch("/api/v1/account", {"timezone": "Europe/Paris"}), 403)
    bad = [({"timezone": "Mars/Olympus_Mons"}, "/timezone"),
           ({"timezone": "../../etc/passwd"}, "/timezone"),
           ({"timezone": 3}, "/timezone"),
           ({"digest": {"enabled": "yes"}}, "/digest/enabled"),
           ({"digest": {"email": 1}}, "/digest/email"),
           ({"digest": {"colour": "red"}}, "/digest"),
           ({"digest": []}, "/digest"),
           ({"digest": {"recipients": [99999]}}, "/digest/recipients/0"),
           ({"digest": {"recipients": "sue"}}, "/digest/recipients"),
           ({"mail_inbox_id": IDS["api"]}, "/mail_inbox_id"),
           ({"mail_inbox_id": "x"}, "/mail_inbox_id")]
    for body, ptr in bad:
        assert_problem(C["admin"].patch("/api/v1/account", body), 422, ptr)
    assert_problem(C["admin"].patch("/api/v1/account", {"name": "Other"}), 422)
    r = C["admin"].patch("/api/v1/account", {"timezone": "Europe/Paris",
                                             "mail_inbox_id": IDS["mail"]})
    assert r.status == 200 and r.json["timezone"] == "Europe/Paris", r
    assert r.json["mail_inbox_id"] == IDS["mail"], r.json
    ev = events("account.updated")
    assert ev and ev[0]["payload"]["changed"]["timezone"] == "Europe/Paris", ev
    # the digest's week is the account's: Monday 00:00 Paris (CET, UTC+1) to Monday 00:00
    d = C["ann"].get("/api/v1/reports/digest?week=2026-W48").json
    assert d["timezone"] == "Europe/Paris", d
    assert d["since"] == "2026-11-22T23:00:00.000Z" and d["until"] == "2026-11-29T23:00:00.000Z", d
    # a summer week: CEST, UTC+2
    d = C["ann"].get("/api/v1/reports/digest?week=2026-W27").json
    assert d["since"] == "2026-06-28T22:00:00.000Z" and d["until"] == "2026-07-05T22:00:00.000Z", d


def test_send_now_mails_and_slack_once():
    assert_problem(C["sue"].post("/api/v1/reports/digest/send", {"week": "2026-W47"}), 403)
    assert_problem(C["admin"].post("/api/v1/reports/digest/send", {"week": "2026-W99"}), 422,
                   "/week")
    r = C["admin"].post("/api/v1/reports/digest/send", {"week": "2026-W47"})
    assert r.status == 200, r
    # recipients by default: every active supervisor and admin
    assert r.json == {"week": "2026-W47", "emails": 2, "email_skipped": None}, r.json
    mails = SMTP.wait_count(2)
    assert len(mails) == 2, mails
    assert sorted(m["to"][0] for m in mails) == ["<admin@acme.test>", "<sue@acme.test>"], mails
    for m in mails:
        assert m["from"] == "<support@acme.test>", m
        data = m["data"]
        assert "Subject: Parley weekly digest 2026-W47" in data, data[:800]
        assert "multipart/alternative" in data and "text/html" in data, data[:800]
        assert "Auto-Submitted: auto-generated" in data, data[:800]
        assert "Acme Support" in data
    hooks = R.wait_for(1)
    slack = [json.loads(h["body"]) for h in hooks if h["path"] == "/slack"]
    assert len(slack) == 1, hooks
    text = slack[0]["text"]
    assert text.startswith(":bar_chart: Weekly digest 2026-W47: 0 conversations (previous week 0)"), text
    assert "https://desk.acme.test/api/v1/reports/digest.html?week=2026-W47" in text, text
    ev = events("report.digest")
    assert len(ev) == 1 and ev[0]["payload"]["week"] == "2026-W47", ev
    assert ev[0]["payload"]["emails"] == 2 and ev[0]["subject"]["kind"] == "account", ev
    # once per week, however asked
    assert_problem(C["admin"].post("/api/v1/reports/digest/send", {"week": "2026-W47"}), 409)
    time.sleep(0.5)
    assert len(SMTP.messages) == 2 and len(events("report.digest")) == 1
    db = sqlite3.connect(S.db)
    rows = db.execute("SELECT status, attempts, kind FROM mail_outbox ORDER BY id").fetchall()
    db.close()
    assert rows == [("sent", 1, "digest"), ("sent", 1, "digest")], rows
    # admins see what went out
    assert_problem(C["sue"].get("/api/v1/account/notices"), 403)
    n = C["admin"].get("/api/v1/account/notices").json["data"]
    assert [(m["kind"], m["status"], m["attempts"], m["inbox_id"]) for m in n] == \
        [("digest", "sent", 1, IDS["mail"])] * 2, n
    assert sorted(m["to"] for m in n) == ["admin@acme.test", "sue@acme.test"], n
    assert all(m["subject"] == "Parley weekly digest 2026-W47" and m["sent_at"] for m in n), n


def test_average_handling_time_from_presence():
    cid = deliver("d-1", "carol", "My order never came")
    IDS["conv"] = cid
    alice = C["alice"]
    r = C["sue"].post(f"/api/v1/conversations/{cid}/assign", {"assignee_id": U["alice"]})
    assert r.status == 200, r
    # two beats 0.6 s apart, one typing 0.4 s later, then a pause longer than the
    # idle timeout would be too slow for a test: the unit test covers the timeout
    for state, pause in (("viewing", 0.6), ("viewing", 0.4), ("typing", 0.3), ("left", 0)):
        r = alice.post(f"/api/v1/conversations/{cid}/presence", {"state": state})
        assert r.status in (200, 202, 204), r
        time.sleep(pause)
    r = alice.post(f"/api/v1/conversations/{cid}/messages",
                   {"kind": "reply", "body": "Sorry! On its way."})
    assert r.status == 201, r
    assert alice.patch(f"/api/v1/conversations/{cid}", {"status": "resolved"}).status == 200
    beats = sorted((ms(e["at"]), e["payload"]["state"])
                   for e in events("presence.", subject_kind="conversation", subject_id=cid))
    assert [s for _, s in beats] == ["viewing", "viewing", "typing", "left"], beats
    expected = beats[-1][0] - beats[0][0]  # every gap is under the 90 s idle timeout
    s = C["ann"].get("/api/v1/reports/summary").json
    aht = s["average_handling_time"]
    assert aht["count"] == 1 and aht["mean_seconds"] == expected / 1000, (aht, beats)
    agents = C["ann"].get("/api/v1/reports/agents").json
    mine = [row for row in agents["rows"] if row["agent_id"] == U["alice"]]
    assert mine and mine[0]["average_handling_time"]["mean_seconds"] == expected / 1000, agents
    p = S.cli("reports", "verify", "--db", S.db)
    assert p.returncode == 0 and "OK" in p.stdout, p.stdout + p.stderr


def test_sla_escalations_deliver():
    r = C["admin"].post("/api/v1/webhooks", {"url": R.url + "/pager",
                                             "events": ["conversation.resolved"]})
    assert r.status == 201, r
    secret = r.json["secret"]
    pager = r.json["id"]
    policy = {"name": "Pager", "targets": {"default": {"first_response": {
        "internal_seconds": 1, "published_seconds": 60}}},
        "escalations": [
            {"on": "sla.breached", "target": "first_response", "action": "webhook",
             "url": R.url + "/pager"},
            {"on": "sla.breached", "action": "webhook", "url": R.url + "/nobody"},
            {"on": "sla.breached", "action": "email"},
            {"on": "sla.breached", "action": "email", "user_id": U["alice"]},
            {"on": "sla.breached", "action": "email", "to": "oncall@acme.test"}]}
    r = C["sue"].post("/api/v1/sla-policies", policy)
    assert r.status == 201, r
    assert [e.get("to") for e in r.json["escalations"]][-1] == "oncall@acme.test", r.json
    assert_problem(C["sue"].post("/api/v1/sla-policies", dict(policy, name="Bad", escalations=[
        {"on": "sla.breached", "action": "email", "to": "not-an-address"}])), 422,
        "/escalations/0/to")
    assert C["admin"].patch(f"/api/v1/inboxes/{IDS['api']}",
                            {"sla_policy_id": r.json["id"]}).status == 200
    before = len(SMTP.messages)
    cid = deliver("d-2", "erin", "Still waiting for my refund")
    breached = wait_for(lambda: events("sla.breached", subject_kind="conversation",
                                       subject_id=cid), 8)
    assert breached, "no breach"
    hooks = R.wait_for(2, 10)
    got = [h for h in hooks if h["path"] == "/pager"]
    assert len(got) == 1, hooks
    h = got[0]
    assert h["headers"]["X-Parley-Event"] == "sla.breached", h["headers"]
    t, v1 = (p.split("=", 1)[1] for p in h["headers"]["X-Parley-Signature"].split(","))
    mac = hmac.new(secret.encode(), t.encode() + b"." + h["body"], hashlib.sha256).hexdigest()
    assert hmac.compare_digest(mac, v1)
    body = json.loads(h["body"])
    assert body["event"]["type"] == "sla.breached" and body["webhook_id"] == pager, body
    assert body["event"]["payload"]["conversation_id"] == cid, body
    mails = SMTP.wait_count(before + 3)[before:]
    assert sorted(m["to"][0] for m in mails) == ["<alice@acme.test>", "<oncall@acme.test>",
                                                 "<sue@acme.test>"], mails
    for m in mails:
        assert f"Subject: SLA breached: conversation #{cid} (first response, medium)" in m["data"], m
    esc = events("sla.escalated", subject_kind="conversation", subject_id=cid)
    by = [(e["payload"]["action"], e["payload"]["delivered"], e["payload"].get("to"))
          for e in sorted(esc, key=lambda e: e["id"])]
    assert by == [("webhook", True, R.url + "/pager"), ("webhook", False, R.url + "/nobody"),
                  ("email", True, None), ("email", True, None),
                  ("email", True, "oncall@acme.test")], by
    # the policy stays attached for nothing else: detach it
    assert C["admin"].patch(f"/api/v1/inboxes/{IDS['api']}", {"sla_policy_id": None}).status == 200


def digests(week):
    return [e for e in events("report.digest") if e["payload"]["week"] == week]


def test_scheduled_monday_0800_paris_once():
    r = C["admin"].patch("/api/v1/account", {"digest": {"recipients": [U["sue"]]}})
    assert r.status == 200 and r.json["digest"]["recipients"] == [U["sue"]], r
    mails = len(SMTP.messages)
    slack = len([h for h in R.requests if h["path"] == "/slack"])
    # Monday 30 November 2026, 07:59:57 in Paris (CET): three seconds before it is due
    restart("2026-11-30T06:59:57Z")
    assert not digests("2026-W48")
    ev = wait_for(lambda: digests("2026-W48"), 12)
    assert len(ev) == 1, events("report.digest")
    assert ms(ev[0]["at"]) >= ms("2026-11-30T07:00:00Z"), ev[0]["at"]
    assert ms(ev[0]["at"]) < ms("2026-11-30T07:00:05Z"), ev[0]["at"]
    p = ev[0]["payload"]
    # the week's figures: carol and erin wrote in week 48; carol's was resolved
    assert p["summary"]["this_week"]["received"] == 2, p
    assert p["summary"]["this_week"]["resolved"] == 1 and p["emails"] == 1, p
    new = SMTP.wait_count(mails + 1)[mails:]
    assert [m["to"] for m in new] == [["<sue@acme.test>"]], new
    assert "Subject: Parley weekly digest 2026-W48" in new[0]["data"]
    hooks = R.wait_for(len(R.requests) + 1, 5)
    texts = [json.loads(h["body"])["text"] for h in hooks if h["path"] == "/slack"][slack:]
    assert len(texts) == 1 and "2026-W48: 2 conversations (previous week 0), 1 resolved" in texts[0], texts
    # a restart after 08:00 sends nothing again
    restart("2026-11-30T07:00:30Z")
    time.sleep(1.5)
    assert len(digests("2026-W48")) == 1 and len(SMTP.messages) == mails + 1


def test_owed_digest_sent_at_start_and_switch_off():
    mails = len(SMTP.messages)
    # down at 08:00 on 7 December: started at 10:00 Paris, the owed digest goes at once
    restart("2026-12-07T09:00:00Z")
    ev = wait_for(lambda: digests("2026-W49"), 8)
    assert len(ev) == 1 and ms(ev[0]["at"]) < ms("2026-12-07T09:00:05Z"), ev
    SMTP.wait_count(mails + 1)
    r = C["admin"].patch("/api/v1/account", {"digest": {"enabled": False}})
    assert r.status == 200 and r.json["digest"]["enabled"] is False, r
    restart("2026-12-14T06:59:58Z")
    time.sleep(4)
    assert not digests("2026-W50") and len(SMTP.messages) == mails + 1
    restart()


def test_bounce_is_dead_and_busy_relay_retried():
    for name in ("gone", "later"):
        r = C["admin"].post("/api/v1/users", {"email": f"{name}@acme.test", "role": "supervisor",
                                              "name": name.title(), "password": PW})
        assert r.status == 201, r
        U[name] = r.json["id"]
    SMTP.reject = {"<gone@acme.test>": [550], "<later@acme.test>": [451]}
    r = C["admin"].patch("/api/v1/account", {"digest": {"recipients": [
        U["sue"], U["gone"], U["later"]]}})
    assert r.status == 200, r
    r = C["admin"].post("/api/v1/reports/digest/send", {"week": "2026-W45"})
    assert r.status == 200 and r.json["emails"] == 3, r

    def states():
        n = [m for m in C["admin"].get("/api/v1/account/notices").json["data"]
             if m["subject"].endswith("2026-W45")]
        return {m["to"]: (m["status"], m["attempts"]) for m in n}
    # a 550 is final; a 451 is tried again after a second
    want = {"sue@acme.test": ("sent", 1), "gone@acme.test": ("dead", 1),
            "later@acme.test": ("sent", 2)}
    got = wait_for(lambda: states() == want and states(), 10)
    assert got == want, states()
    dead = [m for m in C["admin"].get("/api/v1/account/notices").json["data"]
            if m["to"] == "gone@acme.test"][0]
    assert dead["last_error"] and dead["next_attempt_at"] is None, dead


try:
    setup()
    run([test_account_settings_validated, test_send_now_mails_and_slack_once,
         test_average_handling_time_from_presence, test_sla_escalations_deliver,
         test_scheduled_monday_0800_paris_once, test_owed_digest_sent_at_start_and_switch_off,
         test_bounce_is_dead_and_busy_relay_retried])
finally:
    S.cleanup()
    SMTP.close()
    R.close()
