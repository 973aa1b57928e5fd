"""The outbound delivery worker against the local platform fakes
(tests/fakes/platforms.py): retries on 500, on 429 honouring Retry-After and
on timeouts; a permanent 400 becomes a dead letter that is listed with the
platform's reason and retried through the API; many sends in flight at once;
a per-inbox rate limit holds replies back (never fails them); and a server
killed between send and record resumes the send after restart: marked a
possible duplicate on Telegram, looked up in Twilio's message list before
sending again (found: not resent), recognisable by its unchanged Message-ID
on e-mail."""
import json
import os
import sqlite3
import subprocess
import sys
import time

from harness import BIN, Server, assert_problem, run

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fakes"))
from platforms import FakePlatform, FakeSMTP  # noqa: E402

SRC = os.environ.get("PARLEY_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "../.."))
S = Server("--delivery-backoff-ms", "200", "--delivery-timeout-ms", "800")
F = FakePlatform()
SMTP = FakeSMTP()
A = None
TG = None
MAIL = None
TW_CONV = None
HOOKS = os.path.join(SRC, "tests/data/webhooks")
SECRET = "test-telegram-secret"
UPDATE = [914100000]


def setup():
    global A, TG, MAIL, TW_CONV
    S.init()
    S.start()
    A = S.client()
    A.login("admin@acme.test", "admin-password-1")
    r = A.post("/api/v1/inboxes", {"name": "tg", "channel": "telegram", "policy": "manual",
                                   "settings": {"bot_token": "123:abc", "secret_token": SECRET,
                                                "api_base_url": F.url}})
    assert r.status == 201, r
    TG = r.json["id"]
    r = A.post("/api/v1/inboxes", {"name": "mail", "channel": "email", "policy": "manual",
                                   "settings": {"address": "support@acme.test",
                                                "smtp_url": f"smtp://127.0.0.1:{SMTP.port}"}})
    assert r.status == 201, r
    MAIL = r.json["id"]
    url = open(os.path.join(HOOKS, "twilio_sms.url")).read().strip()
    r = A.post("/api/v1/inboxes", {"name": "sms", "channel": "twilio_sms", "policy": "manual",
                                   "settings": {"account_sid": "AC0000000000000000000000000000000a",
                                                "auth_token": "test-twilio-auth-token",
                                                "from": "+14155550199", "webhook_url": url,
                                                "api_base_url": F.url}})
    assert r.status == 201, r
    tw = r.json["id"]
    r = S.client(csrf=False).request(
        "POST", f"/webhooks/{tw}", raw=open(os.path.join(HOOKS, "twilio_sms.form"), "rb").read(),
        headers={"Content-Type": "application/x-www-form-urlencoded",
                 "X-Twilio-Signature": open(os.path.join(HOOKS, "twilio_sms.sig")).read().strip()})
    assert r.status == 200, r
    TW_CONV = A.get(f"/api/v1/conversations?inbox_id={tw}").json["data"][0]["id"]


def new_conversation(user_id):
    """A Telegram customer writes in: returns the conversation id."""
    UPDATE[0] += 1
    raw = json.dumps({"update_id": UPDATE[0], "message": {
        "message_id": UPDATE[0], "date": 1764000700, "text": "Where is my parcel?",
        "from": {"id": user_id, "is_bot": False, "first_name": "Cust", "username": f"c{user_id}"},
        "chat": {"id": user_id, "type": "private"}}}).encode()
    r = S.client(csrf=False).request("POST", f"/webhooks/{TG}", raw=raw, headers={
        "Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": SECRET})
    assert r.status == 200, r
    convs = A.get(f"/api/v1/conversations?inbox_id={TG}&limit=100").json["data"]
    return max(c["id"] for c in convs)  # every customer here is new: the newest is theirs


def reply(cid, text):
    r = A.post(f"/api/v1/conversations/{cid}/messages",
               {"kind": "reply", "body": text, "takeover": True})
    assert r.status == 201, r
    return r.json["id"]


def message(cid, mid):
    for m in A.get(f"/api/v1/conversations/{cid}/messages?limit=100").json["data"]:
        if m["id"] == mid:
            return m
    raise AssertionError(f"no message {mid}")


def wait_status(cid, mid, status, timeout=15):
    deadline = time.time() + timeout
    while time.time() < deadline:
        m = message(cid, mid)
        if m["delivery_status"] == status:
            return m
        time.sleep(0.05)
    raise AssertionError(f"message {mid} stayed {message(cid, mid)['delivery_status']}; "
                         f"events {delivery_events(mid)}")


def delivery_events(mid):
    return [e["payload"] for e in
            A.get(f"/api/v1/events?type=message.delivery&subject_id={mid}").json["data"]]


def delivery_row(mid):
    for d in A.get("/api/v1/deliveries?limit=100").json["data"]:
        if d["message_id"] == mid:
            return d
    raise AssertionError(f"no delivery for message {mid}")


def sent_to_fake(text, n0):
    return [r for r in F.requests[n0:]
            if r["body"].startswith(b"{") and json.loads(r["body"]).get("text") == text]


def test_retry_on_500():
    cid = new_conversation(700001)
    F.script(("status", 500))
    n0 = len(F.requests)
    mid = reply(cid, "Retried after a 500.")
    m = wait_status(cid, mid, "sent")
    assert len(sent_to_fake("Retried after a 500.", n0)) == 2
    assert m["external_id"], m
    assert delivery_events(mid)[-1]["attempts"] == 2, delivery_events(mid)


def test_429_waits_for_retry_after():
    cid = new_conversation(700002)
    F.script(("retry_after", 2))
    n0 = len(F.requests)
    mid = reply(cid, "Rate limited once.")
    wait_status(cid, mid, "sent")
    reqs = sent_to_fake("Rate limited once.", n0)
    assert len(reqs) == 2, reqs
    # the backoff alone is 200 ms; Retry-After asked for 2 s
    assert reqs[1]["at"] - reqs[0]["at"] >= 1.9, reqs[1]["at"] - reqs[0]["at"]
    assert delivery_events(mid)[-1]["attempts"] == 2


def test_timeout_is_retried():
    cid = new_conversation(700003)
    F.script(("timeout", 2))  # the server gives up after 800 ms
    n0 = len(F.requests)
    mid = reply(cid, "Slow platform.")
    wait_status(cid, mid, "sent")
    assert len(sent_to_fake("Slow platform.", n0)) == 2
    assert delivery_events(mid)[-1]["attempts"] == 2
    log = S.read_log()
    lines = [json.loads(x) for x in log.splitlines() if '"delivery.attempt"' in x
             and f'"message_id":{mid},' in x]
    assert any(x["outcome"] == "pending" and "imed out" in x.get("error", "") for x in lines), \
        lines


def test_dead_letter_listed_and_retried():
    cid = new_conversation(700004)
    F.script(("bad",))
    mid = reply(cid, "Refused once.")
    m = wait_status(cid, mid, "failed")
    assert m["delivery_status"] == "failed"
    dead = A.get("/api/v1/deliveries?status=dead").json["data"]
    row = [d for d in dead if d["message_id"] == mid][0]
    assert row["attempts"] == 1 and "invalid parameter" in row["last_error"].lower(), row
    assert row["possible_duplicate"] is False
    r = A.post(f"/api/v1/deliveries/{row['id']}/retry")
    assert r.status == 202, r
    wait_status(cid, mid, "sent")
    assert delivery_row(mid)["status"] == "sent"
    assert delivery_events(mid)[-1]["status"] == "sent"
    assert_problem(A.post(f"/api/v1/deliveries/{row['id']}/retry"), 409, "/status")
    assert_problem(A.get("/api/v1/deliveries?status=lost"), 400, "/status")


def test_many_sends_in_flight():
    cids = [new_conversation(700100 + i) for i in range(8)]
    F.script(*[("timeout", 0.6)] * 8)  # each answer takes 600 ms (under the 800 ms timeout)
    n0 = len(F.requests)
    t0 = time.time()
    mids = [(cid, reply(cid, f"Parallel {i}.")) for i, cid in enumerate(cids)]
    for cid, mid in mids:
        wait_status(cid, mid, "sent")
    took = time.time() - t0
    reqs = F.requests[n0:n0 + 8]
    spread = max(r["at"] for r in reqs) - min(r["at"] for r in reqs)
    # one at a time would take 8 x 600 ms; in flight together, about one answer's time
    assert spread < 0.5 and took < 3.0, (spread, took)
    assert all(delivery_events(mid)[-1]["attempts"] == 1 for _, mid in mids)


def test_rate_limit_holds_replies():
    r = A.patch(f"/api/v1/inboxes/{TG}", {"settings": {"rate_per_second": "fast"}})
    assert_problem(r, 422, "/settings/rate_per_second")
    r = A.patch(f"/api/v1/inboxes/{TG}", {"settings": {"rate_burst": 0}})
    assert_problem(r, 422, "/settings/rate_burst")
    r = A.patch(f"/api/v1/inboxes/{TG}", {"settings": {"rate_per_second": 4, "rate_burst": 1}})
    assert r.status == 200, r
    assert r.json["settings"]["rate_per_second"] == 4, r.json
    try:
        cid = new_conversation(700200)
        time.sleep(0.3)  # the bucket refills to its burst of one
        n0 = len(F.requests)
        mids = [reply(cid, f"Paced {i}.") for i in range(6)]
        for mid in mids:
            wait_status(cid, mid, "sent")
        at = sorted(r["at"] for r in F.requests[n0:])
        assert len(at) == 6, at
        gaps = [b - a for a, b in zip(at, at[1:])]
        # 4 per second, one at a time: about 250 ms apart, never failed for it
        assert min(gaps) >= 0.2, gaps
        assert at[-1] - at[0] >= 1.1, at
        assert all(delivery_events(mid)[-1]["attempts"] == 1 for mid in mids)
        assert metrics()["parley_delivery_rate_limited_total"] >= 1
    finally:
        r = A.patch(f"/api/v1/inboxes/{TG}", {"settings": {"rate_per_second": 1000,
                                                           "rate_burst": 1000}})
        assert r.status == 200, r


def kill_and_restart():
    S.proc.kill()
    S.proc.wait()
    S.proc = None
    S.start()
    A.login("admin@acme.test", "admin-password-1")


def outbox_status(mid):
    con = sqlite3.connect(S.db)
    try:
        return con.execute("SELECT status, attempts FROM outbox WHERE message_id = ?",
                           (mid,)).fetchone()
    finally:
        con.close()


def test_crash_between_send_and_record_resumes():
    cid = new_conversation(700300)
    F.script(("hang",))  # the platform takes the request and never answers
    n0 = len(F.requests)
    mid = reply(cid, "Sent across a crash.")
    F.wait_for(n0 + 1)
    assert outbox_status(mid) == ("sending", 1), outbox_status(mid)
    kill_and_restart()
    F.release()
    m = wait_status(cid, mid, "sent")
    assert len(sent_to_fake("Sent across a crash.", n0)) == 2
    row = delivery_row(mid)
    assert row["possible_duplicate"] is True and row["attempts"] == 2, row
    assert delivery_events(mid)[-1]["possible_duplicate"] is True
    assert m["external_id"]
    resumed = [json.loads(x) for x in S.read_log().splitlines() if '"delivery.resumed"' in x]
    assert any(x["message_id"] == mid and x["possible_duplicate"] == "true" for x in resumed), \
        resumed


def wait_outbox(mid, status, timeout=5):
    deadline = time.time() + timeout
    while outbox_status(mid)[0] != status and time.time() < deadline:
        time.sleep(0.05)
    return outbox_status(mid)


def metrics():
    values = {}
    for line in S.client().get("/metrics").text.splitlines():
        if line.startswith("parley_deliver"):
            k, v = line.rsplit(" ", 1)
            values[k] = float(v)
    return values


def twilio_posts(n0):
    return [r for r in F.requests[n0:] if r["path"].endswith("/Messages.json")]


def test_twilio_resend_asks_the_message_list_first():
    # the crash came after Twilio created the message: it is found, not sent again
    F.script(("hang",))
    n0, l0 = len(F.requests), len(F.lookups)
    mid = reply(TW_CONV, "Your refund is on its way.")
    F.wait_for(n0 + 1)
    assert wait_outbox(mid, "sending") == ("sending", 1)
    kill_and_restart()
    F.release()
    m = wait_status(TW_CONV, mid, "sent")
    posts = twilio_posts(n0)
    assert len(posts) == 1, posts
    look = F.lookups[l0:]
    assert len(look) == 1 and "To=%2B14155550100" in look[0]["path"], look
    assert "From=%2B14155550199" in look[0]["path"], look
    assert m["external_id"] == f"SMreply{posts[0]['seq']}", m
    row = delivery_row(mid)
    assert row["possible_duplicate"] is False and row["attempts"] == 2, row
    assert any('"delivery.deduplicated"' in x and f'"message_id":{mid},' in x
               for x in S.read_log().splitlines())
    m = metrics()  # since this start: one resumed, found, recorded sent, one call (the list)
    assert m["parley_deliveries_resumed_total"] == 1, m
    assert m["parley_deliveries_deduplicated_total"] == 1, m
    assert m['parley_deliveries_total{outcome="sent"}'] == 1, m
    assert m["parley_delivery_transfer_seconds_count"] == 1, m
    assert m["parley_deliveries_in_flight"] == 0, m

    # the crash came before Twilio took it: not in the list, so sent once more
    F.script(("drop",))
    n0, l0 = len(F.requests), len(F.lookups)
    mid = reply(TW_CONV, "A second answer.")
    F.wait_for(n0 + 1)
    assert wait_outbox(mid, "sending") == ("sending", 1)
    kill_and_restart()
    F.release()
    m = wait_status(TW_CONV, mid, "sent")
    posts = twilio_posts(n0)
    assert len(posts) == 2 and len(F.lookups) == l0 + 1, (posts, F.lookups[l0:])
    assert m["external_id"] == f"SMreply{posts[1]['seq']}", m
    assert delivery_row(mid)["possible_duplicate"] is False
    m = metrics()
    assert m["parley_deliveries_deduplicated_total"] == 0 and \
        m['parley_deliveries_total{outcome="sent"}'] == 1, m


def test_email_resend_keeps_its_message_id():
    raw = open(os.path.join(SRC, "tests/data/mail/plain.eml"), "rb").read()
    p = subprocess.run([BIN, "mail-in", "--db", S.db, "--inbox", str(MAIL)], input=raw,
                       capture_output=True, env=S.env, timeout=120)
    assert p.returncode == 0, p
    cid = int(p.stdout.decode().split()[5])
    SMTP.hang_data = 1  # the relay takes the message and dies before its 250
    mid = reply(cid, "Your order ships today.")
    first = SMTP.wait_for(1)
    deadline = time.time() + 5
    while outbox_status(mid)[0] != "sending" and time.time() < deadline:
        time.sleep(0.05)
    assert outbox_status(mid) == ("sending", 1), outbox_status(mid)
    kill_and_restart()
    SMTP.release()
    second = SMTP.wait_for(2)
    m = wait_status(cid, mid, "sent")

    def msgid(mail):
        return [h for h in mail["data"].split("\r\n") if h.startswith("Message-ID: ")][0]
    assert msgid(first) == msgid(second), (msgid(first), msgid(second))
    assert m["external_id"] == msgid(second)[12:].strip("<>")
    row = delivery_row(mid)
    assert row["possible_duplicate"] is False and row["attempts"] == 2, row


try:
    setup()
    run([test_retry_on_500, test_429_waits_for_retry_after, test_timeout_is_retried,
         test_dead_letter_listed_and_retried, test_many_sends_in_flight,
         test_rate_limit_holds_replies, test_crash_between_send_and_record_resumes,
         test_twilio_resend_asks_the_message_list_first,
         test_email_resend_keeps_its_message_id])
finally:
    F.close()
    SMTP.close()
    S.cleanup()
