"""The rollups setting: a server started with --rollups=off (a bulk import)
stores messages without report rollups, says so in /readyz and in every report
(`query.rollups_stale_since`), and logs a warning; `parley reports rebuild`
brings the reports up to date from the event log; a server with rollups on
then reads them current and keeps them so."""
import sqlite3

from harness import Server, create_api_inbox, post_signed, run, start_as_admin

S = Server("--rollups=off")
SECRET = "switch-hmac-secret-0123456789"
C = {}
INBOX = None


def deliver(msg_id, contact, body):
    payload = {"id": msg_id, "contact": {"id": contact, "name": contact.title(),
                                         "handle": "@" + contact}, "body": body,
               "visibility": "private"}
    r = post_signed(S, INBOX, SECRET, payload)
    assert r.status in (200, 201), r
    return r.json


def rollup_rows():
    db = sqlite3.connect(S.db)
    n = db.execute("SELECT count(*) FROM report_rollups").fetchone()[0]
    db.close()
    return n


def restart(*args):
    S.stop()
    S.args = list(args)
    S.start()
    admin = S.client()
    admin.login("admin@acme.test", "admin-password-1")
    C["admin"] = admin


def setup():
    global INBOX
    C["admin"] = start_as_admin(S)
    INBOX = create_api_inbox(C["admin"], "Import", SECRET)


def test_off_stores_messages_without_rollups_and_says_stale():
    deliver("s-1", "erin", "Where is my order?")
    deliver("s-2", "frank", "The app crashes on start")
    assert rollup_rows() == 0
    r = C["admin"].get("/readyz")
    assert r.status == 200 and r.json["reports"] == "stale", r.json
    assert r.json["reports_stale_since"].endswith("Z"), r.json
    s = C["admin"].get("/api/v1/reports/summary").json
    assert s["volume"]["received"] == 0, s
    assert s["query"]["rollups_stale_since"] == r.json["reports_stale_since"], s
    assert '"reports.rollups_off"' in S.read_log()


def test_rebuild_then_on_reads_current_and_stays_current():
    S.stop()
    S.cli("reports", "rebuild", "--db", S.db)
    restart()  # rollups on, the default
    assert "reports.stale" not in S.read_log().split("server.listening")[-1]
    r = C["admin"].get("/readyz")
    assert r.json["reports"] == "current" and r.json["reports_stale_since"] is None, r.json
    s = C["admin"].get("/api/v1/reports/summary").json
    assert s["volume"]["received"] == 2 and s["volume"]["customer_messages"] == 2, s
    assert s["query"]["rollups_stale_since"] is None, s
    deliver("s-3", "gina", "Refund please")
    s = C["admin"].get("/api/v1/reports/summary").json
    assert s["volume"]["received"] == 3, s
    assert S.cli("reports", "verify", "--db", S.db).returncode == 0


def test_stale_warning_when_restarted_on_without_rebuild():
    restart("--rollups=off")
    deliver("s-4", "hugo", "Still waiting")
    restart()
    log = S.read_log()
    assert '"reports.stale"' in log, log[-2000:]
    assert C["admin"].get("/readyz").json["reports"] == "stale"
    p = S.cli("reports", "verify", "--db", S.db, check=False)
    assert p.returncode == 1, p.stdout  # the message of the off run is missing from the rollups
    S.cli("reports", "rebuild", "--db", S.db)
    assert C["admin"].get("/readyz").json["reports"] == "current"
    s = C["admin"].get("/api/v1/reports/summary").json
    assert s["volume"]["received"] == 4, s


def test_bad_value_is_refused():
    p = S.cli("serve", "--db", S.db, "--rollups=sometimes", check=False)
    assert p.returncode == 2 and "rollups must be true or false" in p.stderr, p.stderr


try:
    setup()
    run([test_off_stores_messages_without_rollups_and_says_stale,
         test_rebuild_then_on_reads_current_and_stays_current,
         test_stale_warning_when_restarted_on_without_rebuild, test_bad_value_is_refused])
finally:
    S.cleanup()
