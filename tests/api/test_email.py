"""The e-mail channel end to end: an email inbox created over the API, real
messages piped through `parley mail-in` (as an MTA would, while the server
runs) and then seen through the API; redelivery is a duplicate, a reply
threads into the same conversation, malformed mail exits 65 and stores
nothing, sysexits for unknown inboxes and oversized mail; an agent's reply
leaves over SMTP (a local fake relay) with threading headers."""
import os
import sqlite3
import subprocess
import sys
import time

from harness import BIN, Server, assert_problem, run

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fakes"))
from platforms import FakeSMTP  # noqa: E402

SRC = os.environ.get("PARLEY_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "../.."))
MAIL = os.path.join(SRC, "tests/data/mail")
S = Server()
C = {}
INBOX = None
CONV = {}


SMTP = FakeSMTP()


def eml(name):
    with open(os.path.join(MAIL, name), "rb") as f:
        return f.read()


def mail_in(raw, inbox=None, extra=()):
    p = subprocess.run([BIN, "mail-in", "--db", S.db, "--inbox", str(inbox or INBOX), *extra],
                       input=raw, capture_output=True, env=S.env, timeout=120)
    out, err = p.stdout.decode(), p.stderr.decode()
    assert "Sanitizer" not in err and "runtime error" not in err, err
    return p.returncode, out, err


def stored(out):
    """(message id, conversation id) from 'stored|duplicate message M in conversation C'."""
    words = out.split()
    assert words[1] == "message" and words[3:5] == ["in", "conversation"], out
    return int(words[2]), int(words[5])


def db_count(table):
    con = sqlite3.connect(S.db)
    try:
        return con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    finally:
        con.close()


def setup():
    global INBOX
    S.init()
    S.start()
    admin = S.client()
    admin.login("admin@acme.test", "admin-password-1")
    C["admin"] = admin
    r = admin.post("/api/v1/inboxes", {"name": "Support mail", "channel": "email",
                                       "settings": {"address": "support@acme.test",
                                                    "smtp_url": f"smtp://127.0.0.1:{SMTP.port}",
                                                    "from_name": "Acme Support"}})
    assert r.status == 201, r
    INBOX = r.json["id"]


def test_inbox_settings_validated_and_masked():
    a = C["admin"]
    assert_problem(a.post("/api/v1/inboxes", {"name": "m", "channel": "email",
                                              "settings": {"smtp_url": "smtp://h"}}),
                   422, "/settings/address")
    assert_problem(a.post("/api/v1/inboxes", {"name": "m", "channel": "email",
                                              "settings": {"address": "a@acme.test",
                                                           "smtp_url": "http://h"}}),
                   422, "/settings/smtp_url")
    r = a.post("/api/v1/inboxes", {"name": "Relay with login", "channel": "email",
                                   "settings": {"address": "billing@acme.test",
                                                "smtp_url": "smtps://smtp.acme.test:465",
                                                "smtp_username": "billing",
                                                "smtp_password": "relay-password-42"}})
    assert r.status == 201, r
    assert r.json["settings"]["smtp_password"] == "********", r.json
    assert r.json["settings"]["address"] == "billing@acme.test"
    assert b"relay-password-42" not in open(S.db, "rb").read()


def test_mail_in_stores_message():
    code, out, err = mail_in(eml("plain.eml"))
    assert code == 0, (code, out, err)
    assert out.startswith("stored message "), out
    mid, cid = stored(out)
    CONV["carol"] = cid
    conv = C["admin"].get(f"/api/v1/conversations/{cid}").json
    assert conv["status"] == "open" and conv["visibility"] == "private", conv
    assert conv["contact"]["identities"][0]["handle"] == "carol@example.com", conv["contact"]
    assert conv["contact"]["name"] == "Carol Customer"
    msgs = C["admin"].get(f"/api/v1/conversations/{cid}/messages").json["data"]
    assert len(msgs) == 1, msgs
    m = msgs[0]
    assert m["id"] == mid and m["direction"] == "in"
    assert m["external_id"] == "CAF1234.order@mail.example.com"
    assert m["body"] == "Hello,\n\nmy order 1234 never arrived. Where is it?\n\nThanks,\nCarol"
    assert m["analysis"]["sentiment"]["compound"] is not None


def test_same_mail_again_is_duplicate():
    before = db_count("messages")
    code, out, err = mail_in(eml("plain.eml"))
    assert code == 0, (code, out, err)
    assert out.startswith("duplicate message "), out
    assert stored(out)[1] == CONV["carol"]
    assert db_count("messages") == before


def test_reply_threads_into_conversation():
    code, out, err = mail_in(eml("reply.eml"))
    assert code == 0 and out.startswith("stored message "), (code, out, err)
    assert stored(out)[1] == CONV["carol"]
    msgs = C["admin"].get(f"/api/v1/conversations/{CONV['carol']}/messages").json["data"]
    assert [m["body"] for m in msgs][-1] == "It still has not arrived, can you check again?"
    assert len(msgs) == 2


def test_html_with_attachments_and_charsets():
    code, out, _ = mail_in(eml("alternative_attachment.eml"))
    assert code == 0, out
    _, cid = stored(out)
    m = C["admin"].get(f"/api/v1/conversations/{cid}/messages").json["data"][0]
    assert m["body"] == "Please see the attached invoice."
    assert m["attachments"][0] == {"type": "file", "url": "cid:invoice%2042.pdf",
                                   "mime": "application/pdf"}, m["attachments"]
    assert m["attachments"][1]["type"] == "image"
    code, out, _ = mail_in(eml("latin1.eml"))
    assert code == 0, out
    _, cid = stored(out)
    m = C["admin"].get(f"/api/v1/conversations/{cid}/messages").json["data"][0]
    assert m["body"] == "Bonjour, le colis est arrivé abîmé. Façade à refaire."
    code, out, _ = mail_in(eml("html_only.eml"))
    assert code == 0, out
    _, cid = stored(out)
    m = C["admin"].get(f"/api/v1/conversations/{cid}/messages").json["data"][0]
    assert m["body"].startswith("Hi there,\nThe blender & the jug are broken."), m["body"]
    assert "alert" not in m["body"]


def test_malformed_and_refusals_store_nothing():
    before = (db_count("messages"), db_count("conversations"), db_count("contacts"))
    code, out, err = mail_in(eml("malformed.eml"))
    assert code == 65, (code, out, err)
    assert "malformed message" in err, err
    code, _, _ = mail_in(b"")
    assert code == 65
    # automatic mail is accepted (0) and ignored: no loop with auto-responders
    code, out, _ = mail_in(eml("autoreply.eml"))
    assert code == 0 and out.startswith("ignored"), out
    # no such inbox, or not an e-mail inbox: 67 (the MTA bounces)
    code, _, err = mail_in(eml("qp.eml"), inbox=999999)
    assert code == 67, err
    r = C["admin"].post("/api/v1/inboxes", {"name": "API", "channel": "api",
                                            "settings": {"hmac_secret": "x" * 24}})
    code, _, err = mail_in(eml("qp.eml"), inbox=r.json["id"])
    assert code == 67, err
    # larger than 25 MiB: refused with a clear error
    big = eml("plain.eml") + b"x" * (25 * 1024 * 1024)
    code, _, err = mail_in(big)
    assert code == 1 and "25 MiB" in err, (code, err)
    # usage errors: 64
    assert mail_in(b"", extra=("--bogus",))[0] == 64
    p = subprocess.run([BIN, "mail-in", "--help"], capture_output=True, env=S.env)
    assert p.returncode == 0 and b"--inbox" in p.stdout
    assert (db_count("messages"), db_count("conversations"), db_count("contacts")) == before


def test_agent_reply_goes_out_over_smtp():
    cid = CONV["carol"]
    r = C["admin"].post(f"/api/v1/conversations/{cid}/messages",
                        {"kind": "reply", "body": "Hi Carol,\nit ships today — sorry!",
                         "takeover": True})
    assert r.status == 201, r
    mail = SMTP.wait_for(1)
    assert mail["from"] == "<support@acme.test>", mail
    assert mail["to"] == ["<carol@example.com>"], mail
    d = mail["data"]
    assert "From: Acme Support <support@acme.test>\r\n" in d, d
    assert "To: carol@example.com\r\n" in d
    assert "\r\nSubject: Re: " in d or d.startswith("Subject: Re: ")
    assert "In-Reply-To: <CAF5678.reply@mail.example.com>\r\n" in d, d
    assert "References: " in d and "<CAF5678.reply@mail.example.com>" in d
    assert "Content-Type: text/plain; charset=utf-8\r\n" in d
    assert "it ships today =E2=80=94 sorry!" in d
    sent_id = [h for h in d.split("\r\n") if h.startswith("Message-ID: ")][0][12:]
    deadline = time.time() + 10
    while time.time() < deadline:
        out = [m for m in C["admin"].get(f"/api/v1/conversations/{cid}/messages").json["data"]
               if m["direction"] == "out"]
        if out and out[-1]["delivery_status"] == "sent":
            break
        time.sleep(0.1)
    assert out[-1]["delivery_status"] == "sent", out
    assert out[-1]["external_id"] == sent_id.strip("<>"), (out[-1], sent_id)


try:
    setup()
    run([test_inbox_settings_validated_and_masked, test_mail_in_stores_message,
         test_same_mail_again_is_duplicate, test_reply_threads_into_conversation,
         test_html_with_attachments_and_charsets, test_malformed_and_refusals_store_nothing,
         test_agent_reply_goes_out_over_smtp])
finally:
    S.cleanup()
    SMTP.close()
