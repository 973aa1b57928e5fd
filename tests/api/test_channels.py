"""Every platform through GET|POST /webhooks/{inbox_id}: the real signed
samples verified over the raw bytes, forged ones refused (401, nothing
stored, counted), handshakes, idempotent redelivery, public vs private,
author reach; replies delivered to a local fake of each platform in its own
format, retries, and receipts moving the delivery status."""
import json
import os
import sys
import time
import urllib.parse

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fakes"))
from platforms import FakePlatform  # noqa: E402
from harness import Server, assert_problem, run

SRC = os.environ.get("PARLEY_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "../.."))
HOOKS = os.path.join(SRC, "tests/data/webhooks")
S = Server()
F = FakePlatform()
A = None
INBOX = {}


def sample(name):
    return open(os.path.join(HOOKS, name), "rb").read()


def sig(name):
    return open(os.path.join(HOOKS, name)).read().strip()


def post_hook(inbox, raw, headers, ctype="application/json", path_suffix=""):
    h = {"Content-Type": ctype}
    h.update(headers)
    return S.client(csrf=False).request("POST", f"/webhooks/{inbox}{path_suffix}", raw=raw,
                                        headers=h)


def setup():
    global A
    S.init()
    S.start()
    A = S.client()
    A.login("admin@acme.test", "admin-password-1")
    meta = {"app_secret": "test-app-secret", "verify_token": "vt-123", "api_base_url": F.url}
    specs = {
        "messenger": dict(meta, page_id="104857600000001", page_access_token="page-token"),
        "instagram": dict(meta, ig_id="17841400000000001", access_token="ig-token"),
        "whatsapp": dict(meta, phone_number_id="106540352242922", access_token="wa-token"),
        "twilio_sms": {"account_sid": "AC0000000000000000000000000000000a",
                       "auth_token": "test-twilio-auth-token", "from": "+14155550199",
                       "webhook_url": sample("twilio_sms.url").decode().strip(),
                       "api_base_url": F.url},
        "telegram": {"bot_token": "123:abc", "secret_token": "test-telegram-secret",
                     "api_base_url": F.url},
        "x": {"user_id": "4337869213", "consumer_secret": "test-x-consumer-secret",
              "access_token": "x-token", "api_base_url": F.url},
    }
    for ch, settings in specs.items():
        r = A.post("/api/v1/inboxes", {"name": ch, "channel": ch, "settings": settings,
                                       "policy": "manual"})
        assert r.status == 201, (ch, r)
        INBOX[ch] = r.json["id"]


def conversations():
    out = []
    for st in ("open", "pending", "resolved"):
        out += A.get(f"/api/v1/conversations?status={st}&limit=100").json["data"]
    return out


def test_handshakes():
    q = urllib.parse.urlencode({"hub.mode": "subscribe", "hub.verify_token": "vt-123",
                                "hub.challenge": "1158201444"})
    r = S.client().get(f"/webhooks/{INBOX['messenger']}?{q}")
    assert r.status == 200 and r.text == "1158201444", r
    q = urllib.parse.urlencode({"hub.mode": "subscribe", "hub.verify_token": "wrong",
                                "hub.challenge": "1"})
    assert_problem(S.client().get(f"/webhooks/{INBOX['messenger']}?{q}"), 403)
    crc = sample("x_crc.txt").decode().splitlines()
    token = crc[0].split("=", 1)[1]
    want = crc[1].split("=", 1)[1]
    r = S.client().get(f"/webhooks/{INBOX['x']}?crc_token={token}")
    assert r.status == 200 and r.json["response_token"] == want, r
    assert_problem(S.client().get("/webhooks/424242"), 404)


def test_forged_and_tampered_are_refused():
    before = len(conversations())
    raw = sample("messenger_message.json")
    r = post_hook(INBOX["messenger"], raw.replace(b"never", b"NEVER"),
                  {"X-Hub-Signature-256": sig("messenger_message.sig")})
    assert_problem(r, 401)
    assert_problem(post_hook(INBOX["messenger"], raw, {}), 401)
    assert_problem(post_hook(INBOX["telegram"], sample("telegram_message.json"),
                             {"X-Telegram-Bot-Api-Secret-Token": "nope"}), 401)
    form = sample("twilio_sms.form")
    assert_problem(post_hook(INBOX["twilio_sms"], form.replace(b"Sundays", b"Mondays"),
                             {"X-Twilio-Signature": sig("twilio_sms.sig")},
                             "application/x-www-form-urlencoded"), 401)
    # a Meta signature does not open the X inbox
    assert_problem(post_hook(INBOX["x"], sample("x_mention.json"),
                             {"x-twitter-webhooks-signature": sig("messenger_message.sig")}), 401)
    assert len(conversations()) == before
    m = S.client().get("/metrics").text
    assert "parley_webhook_rejected_total" in m


def test_every_platform_ingests_its_sample():
    cases = [
        ("messenger", "messenger_message.json", {"X-Hub-Signature-256":
                                                 sig("messenger_message.sig")}, "application/json"),
        ("instagram", "instagram_comment.json", {"X-Hub-Signature-256":
                                                 sig("instagram_comment.sig")}, "application/json"),
        ("whatsapp", "whatsapp_message.json", {"X-Hub-Signature-256":
                                               sig("whatsapp_message.sig")}, "application/json"),
        ("twilio_sms", "twilio_sms.form", {"X-Twilio-Signature": sig("twilio_sms.sig")},
         "application/x-www-form-urlencoded"),
        ("telegram", "telegram_message.json", {"X-Telegram-Bot-Api-Secret-Token":
                                               "test-telegram-secret"}, "application/json"),
        ("x", "x_mention.json", {"x-twitter-webhooks-signature": sig("x_mention.sig")},
         "application/json"),
        ("x", "x_direct_message.json", {"x-twitter-webhooks-signature":
                                        sig("x_direct_message.sig")}, "application/json"),
    ]
    for ch, f, headers, ctype in cases:
        raw = sample(f)
        r = post_hook(INBOX[ch], raw, headers, ctype)
        assert r.status == 200, (ch, r)
        again = post_hook(INBOX[ch], raw, headers, ctype)
        assert again.status == 200, (ch, again)
        if ch != "twilio_sms":
            assert all(i["duplicate"] for i in again.json["items"]), (ch, again.json)
    convs = conversations()
    by_inbox = {}
    for c in convs:
        by_inbox.setdefault(c["inbox_id"], []).append(c)
    for ch in ("messenger", "instagram", "whatsapp", "twilio_sms", "telegram"):
        assert len(by_inbox.get(INBOX[ch], [])) == 1, (ch, by_inbox.get(INBOX[ch]))
    assert len(by_inbox[INBOX["x"]]) == 2
    ig = by_inbox[INBOX["instagram"]][0]
    assert ig["visibility"] == "public" and ig["external_thread_id"] == "17887498072083520", ig
    mention = [c for c in by_inbox[INBOX["x"]] if c["visibility"] == "public"][0]
    detail = A.get(f"/api/v1/conversations/{mention['id']}").json
    ident = detail["contact"]["identities"][0]
    assert ident["handle"] == "@hsyed" and ident["followers"] == 76000, ident
    assert detail["priority"] in ("high", "critical"), detail["priority"]
    wa = A.get(f"/api/v1/conversations/{by_inbox[INBOX['whatsapp']][0]['id']}").json
    msg = wa["timeline"][-1]
    assert msg["body"] == "My card 4111 1111 1111 1111 was charged twice"
    assert any(p["kind"] == "card" for p in msg["analysis"]["pii"]), msg["analysis"]
    assert wa["contact"]["identities"][0]["handle"].startswith("+1650")
    # public sensitive data is masked for readers without the right to see it
    A.post("/api/v1/users", {"email": "ana@acme.test", "role": "analyst",
                             "password": "analyst-password-1"})
    an = S.client()
    an.login("ana@acme.test", "analyst-password-1")
    pub = [c for c in convs if c["visibility"] == "public"]
    A_msg = {"id": None}
    for c in pub:
        for m in A.get(f"/api/v1/conversations/{c['id']}/messages").json["data"]:
            if m["analysis"].get("pii"):
                A_msg = m
    if A_msg["id"] is None:  # no public sample carries PII: make one
        raw = json.dumps({"id": "pii-1", "contact": {"id": "p1"},
                          "body": "my card 4111 1111 1111 1111 was charged",
                          "visibility": "public", "thread_id": "post-77"}).encode()
        r = A.post("/api/v1/inboxes", {"name": "api", "channel": "api",
                                       "settings": {"hmac_secret": "api-secret-123456"}})
        import hashlib
        import hmac as hm
        sg = "sha256=" + hm.new(b"api-secret-123456", raw, hashlib.sha256).hexdigest()
        cid = S.client(csrf=False).request("POST", f"/api/v1/inboxes/{r.json['id']}/messages",
                                           raw=raw, headers={"X-Parley-Signature": sg}
                                           ).json["conversation_id"]
        A_msg = A.get(f"/api/v1/conversations/{cid}/messages").json["data"][0]
    seen = an.get(f"/api/v1/conversations/{A_msg['conversation_id']}/messages").json["data"]
    red = [m for m in seen if m["id"] == A_msg["id"]][0]
    assert red.get("redacted") is True and "4111 1111 1111 1111" not in red["body"], red
    assert "1111" in red["body"]
    full = A.get(f"/api/v1/conversations/{A_msg['conversation_id']}/messages").json["data"]
    assert "4111 1111 1111 1111" in [m for m in full if m["id"] == A_msg["id"]][0]["body"]


def reply(ch, text, visibility=None):
    conv = [c for c in conversations() if c["inbox_id"] == INBOX[ch]
            and (visibility is None or c["visibility"] == visibility)][0]
    r = A.post(f"/api/v1/conversations/{conv['id']}/messages", {"kind": "reply", "body": text})
    assert r.status == 201, (ch, r)
    return conv, r.json["id"]


def message(conv_id, mid):
    for m in A.get(f"/api/v1/conversations/{conv_id}/messages").json["data"]:
        if m["id"] == mid:
            return m
    raise AssertionError("no message %d" % mid)


def wait_status(conv_id, mid, status, timeout=10):
    deadline = time.time() + timeout
    while time.time() < deadline:
        m = message(conv_id, mid)
        if m["delivery_status"] == status:
            return m
        time.sleep(0.1)
    ev = A.get(f"/api/v1/events?type=message.delivery&subject_id={mid}").json["data"]
    raise AssertionError(f"message {mid} stayed {message(conv_id, mid)['delivery_status']}: "
                         f"{[e['payload'] for e in ev]}")


def test_replies_reach_each_platform_in_its_format():
    n0 = len(F.requests)
    c, mid = reply("messenger", "Sorry about that! We're on it.")
    reqs = F.wait_for(n0 + 1)
    req = reqs[n0]
    assert req["path"].startswith("/v19.0/me/messages"), req["path"]
    body = json.loads(req["body"])
    assert body["recipient"]["id"] == "7001002003004005"
    assert body["message"]["text"] == "Sorry about that! We're on it."
    m = wait_status(c["id"], mid, "sent")
    assert m["external_id"] == "m_Reply0001"
    # the platform's delivery receipt moves it to delivered
    r = post_hook(INBOX["messenger"], sample("messenger_delivery.json"),
                  {"X-Hub-Signature-256": sig("messenger_delivery.sig")})
    assert r.status == 200
    assert message(c["id"], mid)["delivery_status"] == "delivered"

    c, mid = reply("whatsapp", "We have refunded the duplicate charge.")
    req = F.wait_for(n0 + 2)[n0 + 1]
    assert req["path"] == "/v19.0/106540352242922/messages", req["path"]
    assert req["headers"]["Authorization"] == "Bearer wa-token"
    body = json.loads(req["body"])
    assert body["to"] == "16505551234" and body["text"]["body"].startswith("We have refunded")
    wait_status(c["id"], mid, "sent")
    post_hook(INBOX["whatsapp"], sample("whatsapp_status.json"),
              {"X-Hub-Signature-256": sig("whatsapp_status.sig")})
    assert message(c["id"], mid)["delivery_status"] == "delivered"

    c, mid = reply("twilio_sms", "Yes, open 10-4 on Sundays.")
    req = F.wait_for(n0 + 3)[n0 + 2]
    assert req["path"] == "/2010-04-01/Accounts/AC0000000000000000000000000000000a/Messages.json"
    form = urllib.parse.parse_qs(req["body"].decode())
    assert form["To"] == ["+14155550100"] and form["Body"] == ["Yes, open 10-4 on Sundays."]
    assert req["headers"]["Authorization"].startswith("Basic ")
    wait_status(c["id"], mid, "sent")

    c, mid = reply("telegram", "Try signing out and in again.")
    req = F.wait_for(n0 + 4)[n0 + 3]
    assert req["path"] == "/bot123:abc/sendMessage"
    assert json.loads(req["body"]) == {"chat_id": 123456789,
                                       "text": "Try signing out and in again."} or \
        json.loads(req["body"])["text"] == "Try signing out and in again."
    wait_status(c["id"], mid, "sent")

    c, mid = reply("x", "So sorry Hassan, DM us your booking reference.", "public")
    req = F.wait_for(n0 + 5)[n0 + 4]
    assert req["path"] == "/2/tweets"
    body = json.loads(req["body"])
    assert body["reply"]["in_reply_to_tweet_id"] == "1861000000000000001"
    wait_status(c["id"], mid, "sent")


def test_retry_after_a_platform_error():
    F.fail_next = 1
    n0 = len(F.requests)
    c, mid = reply("telegram", "Second try works.")
    F.wait_for(n0 + 2, timeout=15)
    m = wait_status(c["id"], mid, "sent", timeout=15)
    assert m["delivery_status"] == "sent"
    ev = A.get(f"/api/v1/events?type=message.delivery&subject_id={mid}").json["data"]
    assert ev and ev[-1]["payload"]["attempts"] == 2, ev


def x_signed(payload):
    import base64
    import hashlib
    import hmac as hm
    raw = json.dumps(payload).encode()
    mac = hm.new(b"test-x-consumer-secret", raw, hashlib.sha256).digest()
    return raw, {"x-twitter-webhooks-signature": "sha256=" + base64.b64encode(mac).decode()}


def test_take_it_offline_and_close_publicly():
    pub = [c for c in conversations() if c["inbox_id"] == INBOX["x"]
           and c["visibility"] == "public"][0]
    n0 = len(F.requests)
    r = A.post(f"/api/v1/conversations/{pub['id']}/offline", {})
    assert r.status == 201 and r.json["taken_offline_at"], r
    req = F.wait_for(n0 + 1)[n0]
    assert req["path"] == "/2/tweets" and "direct message" in json.loads(req["body"])["text"]
    # the same customer now writes a DM: it is linked to the public thread
    raw, h = x_signed({"for_user_id": "4337869213", "direct_message_events": [{
        "type": "message_create", "id": "9544918301161550001", "created_timestamp": "1764000900000",
        "message_create": {"target": {"recipient_id": "4337869213"}, "sender_id": "3001969358",
                           "message_data": {"text": "Booking ref ABC123, bag tag 0042"}}}],
        "users": {"3001969358": {"id": "3001969358", "name": "Hassan", "screen_name": "hsyed",
                                 "followers_count": 76000}}})
    assert post_hook(INBOX["x"], raw, h).status == 200
    pub = A.get(f"/api/v1/conversations/{pub['id']}").json
    priv_id = pub["linked_conversation_id"]
    assert priv_id, pub
    priv = A.get(f"/api/v1/conversations/{priv_id}").json
    assert priv["visibility"] == "private" and priv["linked_conversation_id"] == pub["id"]
    # resolving the private half reminds about the public thread
    r = A.patch(f"/api/v1/conversations/{priv_id}", {"status": "resolved"})
    assert r.status == 200 and r.json["closing_note_due"]["conversation_id"] == pub["id"], r
    # the public thread cannot end without its closing note
    r = A.patch(f"/api/v1/conversations/{pub['id']}", {"status": "resolved"})
    assert_problem(r, 409, "/status")
    assert "closing note" in r.json["detail"]
    A.post(f"/api/v1/conversations/{pub['id']}/messages",
           {"kind": "reply", "body": "Sorted in DM, thanks for your patience Hassan!"})
    assert A.patch(f"/api/v1/conversations/{pub['id']}", {"status": "resolved"}).status == 200
    # a private conversation cannot be taken offline
    assert_problem(A.post(f"/api/v1/conversations/{priv_id}/offline", {}), 422, "/offline")


def test_channel_rules_before_sending():
    pub = [c for c in conversations() if c["inbox_id"] == INBOX["x"]
           and c["visibility"] == "public"][0]
    A.patch(f"/api/v1/conversations/{pub['id']}", {"status": "open"})
    r = A.post(f"/api/v1/conversations/{pub['id']}/messages", {"kind": "reply", "body": "x" * 281})
    assert_problem(r, 422, "/body")
    assert "280" in r.json["detail"]
    sms = [c for c in conversations() if c["inbox_id"] == INBOX["twilio_sms"]][0]
    r = A.post(f"/api/v1/conversations/{sms['id']}/messages",
               {"kind": "reply", "body": "日" * 800, "takeover": True})
    assert_problem(r, 422, "/body")
    assert "segments" in r.json["detail"]


def test_failed_deliveries_listed_and_retried():
    c, mid = reply("messenger", "PERMFAIL this one")
    m = wait_status(c["id"], mid, "failed")
    dead = A.get("/api/v1/deliveries?status=dead").json["data"]
    row = [d for d in dead if d["message_id"] == mid][0]
    assert row["attempts"] == 1 and "Invalid parameter" in row["last_error"], row
    r = A.post(f"/api/v1/deliveries/{row['id']}/retry")
    # read back after its commit: the worker may have taken it already
    assert r.status == 202 and r.json["status"] in ("pending", "sending", "dead"), r
    for _ in range(200):  # it was really sent again (a new attempt), and failed again
        again = [d for d in A.get("/api/v1/deliveries?status=dead").json["data"]
                 if d["id"] == row["id"] and d["attempt_started_at"] > row["attempt_started_at"]]
        if again:
            break
        time.sleep(0.05)
    assert again and "Invalid parameter" in again[0]["last_error"], again
    assert_problem(A.post("/api/v1/deliveries/999999/retry"), 404)
    assert_problem(A.get("/api/v1/deliveries?status=lost"), 400, "/status")
    A.post("/api/v1/users", {"email": "ag@acme.test", "role": "agent",
                             "password": "agent-password-1"})
    ag = S.client()
    ag.login("ag@acme.test", "agent-password-1")
    assert_problem(ag.get("/api/v1/deliveries"), 403)
    assert m["delivery_status"] == "failed"


try:
    setup()
    run([test_handshakes, test_forged_and_tampered_are_refused,
         test_every_platform_ingests_its_sample, test_replies_reach_each_platform_in_its_format,
         test_retry_after_a_platform_error, test_take_it_offline_and_close_publicly,
         test_channel_rules_before_sending, test_failed_deliveries_listed_and_retried])
finally:
    F.close()
    S.cleanup()
