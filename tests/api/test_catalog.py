"""Teams (with members), labels and canned responses over HTTP: every endpoint,
every role boundary, account isolation, bad input, the template variables of
rendering, and the database proving that a refused request stored nothing
(no row, no event)."""
import sqlite3
import time

from harness import Server, assert_problem, run

S = Server()
PW = "catalog-password-1"
U = {}      # role -> (client, user id)
SEED = {}   # names -> ids of rows written straight into the database


def db():
    c = sqlite3.connect(S.db, timeout=10)
    c.execute("PRAGMA busy_timeout = 10000")
    return c


def scalar(sql, *args):
    c = db()
    try:
        return c.execute(sql, args).fetchone()[0]
    finally:
        c.close()


def execute(sql, *args):
    c = db()
    try:
        cur = c.execute(sql, args)
        c.commit()
        return cur.lastrowid
    finally:
        c.close()


def events(type_=None):
    sql = "SELECT count(*) FROM events" + (" WHERE type = ?" if type_ else "")
    return scalar(sql, *((type_,) if type_ else ()))


def put(c, path, body):
    return c.request("PUT", path, body=body)


def seed_conversation(account, inbox, contact_name):
    now = int(time.time() * 1000)
    contact = execute("INSERT INTO contacts(account_id, name, created_at, updated_at)"
                      " VALUES (?, ?, ?, ?)", account, contact_name, now, now)
    conv = execute("INSERT INTO conversations(account_id, inbox_id, contact_id, visibility,"
                   " opened_at, last_message_at, created_at, updated_at)"
                   " VALUES (?, ?, ?, 'public', ?, ?, ?, ?)",
                   account, inbox, contact, now, now, now, now)
    return conv


def setup():
    S.init()
    S.start()
    admin = S.client()
    admin.login("admin@acme.test", "admin-password-1")
    U["admin"] = (admin, 1)
    for role in ("supervisor", "agent", "analyst"):
        r = admin.post("/api/v1/users", {"email": f"{role}@acme.test", "role": role,
                                          "name": f"{role.title()} Person", "password": PW})
        assert r.status == 201, r
        c = S.client()
        c.login(f"{role}@acme.test", PW)
        U[role] = (c, r.json["id"])
    r = admin.post("/api/v1/users", {"email": "gone@acme.test", "role": "agent", "password": PW})
    SEED["disabled_user"] = r.json["id"]
    assert admin.delete(f"/api/v1/users/{r.json['id']}").status == 204
    S.cli("init", "--db", S.db, "--account", "Globex", "--admin", "admin@globex.test",
          stdin="globex-password-1\n")
    g = S.client()
    g.login("admin@globex.test", "globex-password-1")
    U["globex"] = (g, g.get("/api/v1/me").json["id"])
    globex_account = scalar("SELECT account_id FROM users WHERE email = 'admin@globex.test'")
    now = int(time.time() * 1000)
    for acct, key, name in ((1, "inbox", "Acme Support"), (globex_account, "g_inbox", "Globex")):
        SEED[key] = execute("INSERT INTO inboxes(account_id, name, channel, settings, created_at,"
                            " updated_at) VALUES (?, ?, 'web', x'00', ?, ?)", acct, name, now, now)
    SEED["conv"] = seed_conversation(1, SEED["inbox"], "  Ana Maria Silva ")
    SEED["conv_nameless"] = seed_conversation(1, SEED["inbox"], "")
    SEED["g_conv"] = seed_conversation(globex_account, SEED["g_inbox"], "Gus Globex")


# ---- teams --------------------------------------------------------------------

def test_team_lifecycle():
    sup = U["supervisor"][0]
    n0 = events("team.created")
    r = sup.post("/api/v1/teams", {"name": "  Billing  "})
    assert r.status == 201, r
    t = r.json
    assert t["name"] == "Billing" and t["members"] == [] and t["member_count"] == 0
    assert r.header("location") == f"/api/v1/teams/{t['id']}"
    assert events("team.created") == n0 + 1
    ev = U["admin"][0].get("/api/v1/events?type=team.created").json["data"][-1]
    assert ev["actor"] == {"kind": "user", "id": U["supervisor"][1]}, ev
    assert ev["subject"] == {"kind": "team", "id": t["id"]} and ev["payload"] == {"name": "Billing"}
    assert_problem(sup.post("/api/v1/teams", {"name": "Billing"}), 409, "/name")
    assert U["analyst"][0].get(f"/api/v1/teams/{t['id']}").json["name"] == "Billing"
    names = [x["name"] for x in U["agent"][0].get("/api/v1/teams").json["data"]]
    assert names == ["Billing"], names

    r = sup.patch(f"/api/v1/teams/{t['id']}", {"name": "Billing & Refunds"})
    assert r.status == 200 and r.json["name"] == "Billing & Refunds", r
    ev = U["admin"][0].get("/api/v1/events?type=team.updated").json["data"]
    assert ev[-1]["payload"] == {"name": "Billing & Refunds", "previous": {"name": "Billing"}}
    n = events()
    assert sup.patch(f"/api/v1/teams/{t['id']}", {"name": "Billing & Refunds"}).status == 200
    assert sup.patch(f"/api/v1/teams/{t['id']}", {}).status == 200
    assert events() == n, "a change that changes nothing writes no event"

    other = sup.post("/api/v1/teams", {"name": "Social"}).json
    assert_problem(sup.patch(f"/api/v1/teams/{other['id']}", {"name": "Billing & Refunds"}),
                   409, "/name")
    assert scalar("SELECT name FROM teams WHERE id = ?", other["id"]) == "Social"

    assert sup.delete(f"/api/v1/teams/{other['id']}").status == 204
    assert_problem(sup.get(f"/api/v1/teams/{other['id']}"), 404)
    assert_problem(sup.delete(f"/api/v1/teams/{other['id']}"), 404)
    assert events("team.deleted") >= 1
    SEED["team"] = t["id"]


def test_team_members():
    sup, tid = U["supervisor"][0], SEED["team"]
    agent_id, sup_id = U["agent"][1], U["supervisor"][1]
    r = put(sup, f"/api/v1/teams/{tid}/members", {"user_ids": [agent_id, sup_id]})
    assert r.status == 200, r
    assert [m["id"] for m in r.json["members"]] == sorted([agent_id, sup_id])
    m = {x["id"]: x for x in r.json["members"]}[agent_id]
    assert m == {"id": agent_id, "name": "Agent Person", "email": "agent@acme.test",
                 "availability": "offline", "status": "active"}, m
    assert r.json["member_count"] == 2
    ev = U["admin"][0].get("/api/v1/events?type=team.members_changed").json["data"][-1]
    assert ev["subject"] == {"kind": "team", "id": tid}
    assert sorted(ev["payload"]["added"]) == sorted([agent_id, sup_id])
    assert ev["payload"]["removed"] == []

    before = (scalar("SELECT count(*) FROM team_members WHERE team_id = ?", tid), events())
    cases = [
        ({"user_ids": [agent_id, 999999]}, 422, "/user_ids/1"),                 # unknown
        ({"user_ids": [SEED["disabled_user"]]}, 422, "/user_ids/0"),           # disabled
        ({"user_ids": [U["globex"][1]]}, 422, "/user_ids/0"),                  # other account
        ({"user_ids": [agent_id, "x"]}, 422, "/user_ids/1"),                   # wrong type
        ({"user_ids": [agent_id, -3]}, 422, "/user_ids/1"),
        ({"user_ids": [agent_id, 1.5]}, 422, "/user_ids/1"),
        ({"user_ids": [agent_id, agent_id]}, 422, "/user_ids/1"),              # twice
        ({"user_ids": "1,2"}, 422, "/user_ids"),
        ({"user_ids": None}, 422, "/user_ids"),
        ({}, 422, "/user_ids"),
        ({"user_ids": [], "extra": 1}, 422, "/extra"),
        ({"user_ids": list(range(1, 502))}, 422, "/user_ids"),
    ]
    for body, status, ptr in cases:
        assert_problem(put(sup, f"/api/v1/teams/{tid}/members", body), status, ptr)
    after = (scalar("SELECT count(*) FROM team_members WHERE team_id = ?", tid), events())
    assert before == after, (before, after)
    assert_problem(put(sup, "/api/v1/teams/999999/members", {"user_ids": []}), 404)

    r = put(sup, f"/api/v1/teams/{tid}/members", {"user_ids": [agent_id]})
    assert [x["id"] for x in r.json["members"]] == [agent_id]
    ev = U["admin"][0].get("/api/v1/events?type=team.members_changed").json["data"][-1]
    assert ev["payload"]["removed"] == [sup_id] and ev["payload"]["added"] == []
    n = events()
    assert put(sup, f"/api/v1/teams/{tid}/members", {"user_ids": [agent_id]}).status == 200
    assert events() == n
    assert U["analyst"][0].get(f"/api/v1/teams/{tid}").json["member_count"] == 1


def test_team_delete_refused_while_an_inbox_routes_to_it():
    sup = U["supervisor"][0]
    t = sup.post("/api/v1/teams", {"name": "Night shift"}).json
    put(sup, f"/api/v1/teams/{t['id']}/members", {"user_ids": [U["agent"][1]]})
    execute("UPDATE inboxes SET team_id = ? WHERE id = ?", t["id"], SEED["inbox"])
    execute("UPDATE conversations SET team_id = ? WHERE id = ?", t["id"], SEED["conv"])
    n = events()
    r = sup.delete(f"/api/v1/teams/{t['id']}")
    assert_problem(r, 409)
    assert "inbox" in r.json["detail"]
    assert sup.get(f"/api/v1/teams/{t['id']}").json["member_count"] == 1
    assert events() == n
    execute("UPDATE inboxes SET team_id = NULL WHERE id = ?", SEED["inbox"])
    version = scalar("SELECT version FROM conversations WHERE id = ?", SEED["conv"])
    assert sup.delete(f"/api/v1/teams/{t['id']}").status == 204
    # its conversations let go of the team (and say so through a new version)
    assert scalar("SELECT team_id FROM conversations WHERE id = ?", SEED["conv"]) is None
    assert scalar("SELECT version FROM conversations WHERE id = ?", SEED["conv"]) == version + 1
    assert scalar("SELECT count(*) FROM team_members WHERE team_id = ?", t["id"]) == 0
    ev = U["admin"][0].get("/api/v1/events?type=team.deleted").json["data"][-1]
    assert ev["payload"]["conversations_detached"] == 1 and ev["payload"]["name"] == "Night shift"


def test_team_bad_input():
    sup = U["supervisor"][0]
    n = (scalar("SELECT count(*) FROM teams"), events())
    for body, ptr in (({}, "/name"), ({"name": ""}, "/name"), ({"name": "   "}, "/name"),
                      ({"name": 7}, "/name"), ({"name": None}, "/name"),
                      ({"name": "x" * 101}, "/name"), ({"name": "a\u0007b"}, "/name"),
                      ({"name": "ok", "color": "#fff000"}, "/color")):
        assert_problem(sup.post("/api/v1/teams", body), 422, ptr)
    assert_problem(sup.patch(f"/api/v1/teams/{SEED['team']}", {"name": None}), 422, "/name")
    assert_problem(sup.patch(f"/api/v1/teams/{SEED['team']}", {"name": 3}), 422, "/name")
    assert_problem(sup.patch("/api/v1/teams/999999", {"name": "Ghost"}), 404)
    assert_problem(sup.get("/api/v1/teams/abc"), 404)
    assert_problem(sup.request("POST", "/api/v1/teams", raw=b"{not json"), 400)
    assert sup.post("/api/v1/teams", {"name": "\u00e9" * 100}).status == 201  # characters
    assert (scalar("SELECT count(*) FROM teams"), events()) == (n[0] + 1, n[1] + 1)


# ---- labels ---------------------------------------------------------------------

def test_label_lifecycle():
    sup = U["supervisor"][0]
    r = sup.post("/api/v1/labels", {"name": "Billing", "color": "#1F8A70"})
    assert r.status == 201, r
    lab = r.json
    assert lab["color"] == "#1f8a70" and lab["name"] == "Billing"
    assert r.header("location") == f"/api/v1/labels/{lab['id']}"
    plain = sup.post("/api/v1/labels", {"name": "Urgent"}).json
    assert plain["color"] == "#888888"
    assert U["analyst"][0].get(f"/api/v1/labels/{lab['id']}").json == lab
    names = [x["name"] for x in U["agent"][0].get("/api/v1/labels").json["data"]]
    assert names == ["Billing", "Urgent"], names

    r = sup.patch(f"/api/v1/labels/{lab['id']}", {"color": "#000000"})
    assert r.status == 200 and r.json["color"] == "#000000" and r.json["name"] == "Billing"
    r = sup.patch(f"/api/v1/labels/{lab['id']}", {"name": "billing"})  # its own name, recased
    assert r.status == 200 and r.json["name"] == "billing"
    ev = U["admin"][0].get("/api/v1/events?type=label.updated").json["data"][-1]
    assert ev["payload"] == {"name": "billing", "previous": {"name": "Billing"}}, ev

    # removing a label takes it off every conversation (ON DELETE CASCADE)
    execute("INSERT INTO conversation_labels(conversation_id, label_id, account_id)"
            " VALUES (?, ?, 1)", SEED["conv"], plain["id"])
    assert sup.delete(f"/api/v1/labels/{plain['id']}").status == 204
    assert scalar("SELECT count(*) FROM conversation_labels WHERE label_id = ?", plain["id"]) == 0
    ev = U["admin"][0].get("/api/v1/events?type=label.deleted").json["data"][-1]
    assert ev["payload"]["conversations"] == 1 and ev["payload"]["name"] == "Urgent"
    assert_problem(sup.get(f"/api/v1/labels/{plain['id']}"), 404)
    assert_problem(sup.delete(f"/api/v1/labels/{plain['id']}"), 404)
    assert events("label.created") == 2
    SEED["label"] = lab["id"]


def test_label_names_unique_in_any_case():
    sup = U["supervisor"][0]
    n = (scalar("SELECT count(*) FROM labels"), events())
    assert_problem(sup.post("/api/v1/labels", {"name": "BILLING"}), 409, "/name")
    assert_problem(sup.post("/api/v1/labels", {"name": " Billing "}), 409, "/name")
    assert sup.post("/api/v1/labels", {"name": "Ärger"}).status == 201
    n = (n[0] + 1, n[1] + 1)
    assert_problem(sup.post("/api/v1/labels", {"name": "äRGER"}), 409, "/name")  # beyond ASCII
    other = sup.post("/api/v1/labels", {"name": "VIP"}).json
    n = (n[0] + 1, n[1] + 1)
    assert_problem(sup.patch(f"/api/v1/labels/{other['id']}", {"name": "ärger"}), 409, "/name")
    assert (scalar("SELECT count(*) FROM labels"), events()) == n


def test_label_bad_input():
    sup = U["supervisor"][0]
    n = (scalar("SELECT count(*) FROM labels"), events())
    for body, ptr in (({}, "/name"), ({"name": ""}, "/name"), ({"name": 12}, "/name"),
                      ({"name": "x" * 51}, "/name"), ({"name": "ok", "color": "red"}, "/color"),
                      ({"name": "ok", "color": "#12345"}, "/color"),
                      ({"name": "ok", "color": "#1234567"}, "/color"),
                      ({"name": "ok", "color": "#12345g"}, "/color"),
                      ({"name": "ok", "color": 255}, "/color"),
                      ({"name": "ok", "colour": "#123456"}, "/colour")):
        assert_problem(sup.post("/api/v1/labels", body), 422, ptr)
    assert_problem(sup.patch(f"/api/v1/labels/{SEED['label']}", {"color": None}), 422, "/color")
    assert_problem(sup.patch(f"/api/v1/labels/{SEED['label']}", {"color": "#zzzzzz"}), 422,
                   "/color")
    assert_problem(sup.patch("/api/v1/labels/999999", {"color": "#000000"}), 404)
    assert (scalar("SELECT count(*) FROM labels"), events()) == n
    assert sup.post("/api/v1/labels", {"name": "\u00e9" * 50}).status == 201  # 50 characters


def test_label_pagination():
    sup = U["supervisor"][0]
    for i in range(5):
        assert sup.post("/api/v1/labels", {"name": f"page-{i}"}).status == 201
    seen, after = [], None
    while True:
        page = sup.get("/api/v1/labels?limit=2" + (f"&after={after}" if after else "")).json
        assert len(page["data"]) <= 2
        seen += [x["id"] for x in page["data"]]
        after = page["next"]
        if after is None:
            break
    assert seen == sorted(seen) and len(seen) == len(set(seen)) == \
        scalar("SELECT count(*) FROM labels WHERE account_id = 1")
    assert_problem(sup.get("/api/v1/labels?limit=0"), 400, "/limit")
    assert_problem(sup.get("/api/v1/teams?after=x"), 400, "/after")


# ---- canned responses -----------------------------------------------------------

GREETING = {"title": "Greeting", "short_code": "hi",
            "body": "Hi {{contact.first_name}}, {{ agent.name }} from {{inbox.name}} here "
                    "(ref #{{conversation.id}})."}


def test_canned_lifecycle():
    sup = U["supervisor"][0]
    r = sup.post("/api/v1/canned-responses", GREETING)
    assert r.status == 201, r
    c = r.json
    assert {k: c[k] for k in GREETING} == GREETING
    assert c["created_by"] == U["supervisor"][1]
    assert r.header("location") == f"/api/v1/canned-responses/{c['id']}"
    assert U["analyst"][0].get(f"/api/v1/canned-responses/{c['id']}").json == c
    r = sup.patch(f"/api/v1/canned-responses/{c['id']}", {"title": "Warm greeting"})
    assert r.status == 200 and r.json["title"] == "Warm greeting" and r.json["body"] == c["body"]
    ev = U["admin"][0].get("/api/v1/events?type=canned.updated").json["data"][-1]
    assert ev["payload"]["changed"] == ["title"]
    assert ev["payload"]["previous"] == {"title": "Greeting"}
    r = sup.patch(f"/api/v1/canned-responses/{c['id']}", {"body": c["body"] + " Bye!"})
    assert r.status == 200 and r.json["body"].endswith("Bye!")
    assert U["admin"][0].get("/api/v1/events?type=canned.updated").json["data"][-1][
        "payload"]["changed"] == ["body"]
    tmp = sup.post("/api/v1/canned-responses", {"title": "Temp", "short_code": "tmp",
                                                "body": "temporary"}).json
    assert sup.delete(f"/api/v1/canned-responses/{tmp['id']}").status == 204
    assert_problem(sup.get(f"/api/v1/canned-responses/{tmp['id']}"), 404)
    assert_problem(sup.delete(f"/api/v1/canned-responses/{tmp['id']}"), 404)
    for t in ("canned.created", "canned.updated", "canned.deleted"):
        assert events(t) >= 1, t
    SEED["canned"] = c["id"]


def test_canned_bad_input():
    sup = U["supervisor"][0]
    ok = {"title": "T", "short_code": "code", "body": "Body"}

    def with_(**kw):
        b = dict(ok)
        b.update(kw)
        return {k: v for k, v in b.items() if v is not ...}

    n = (scalar("SELECT count(*) FROM canned_responses"), events())
    cases = [
        (with_(short_code="hi"), 409, "/short_code"),                    # taken
        (with_(short_code="Hi"), 422, "/short_code"),
        (with_(short_code="-hi"), 422, "/short_code"),
        (with_(short_code="_hi"), 422, "/short_code"),
        (with_(short_code="h i"), 422, "/short_code"),
        (with_(short_code="h" * 33), 422, "/short_code"),
        (with_(short_code=""), 422, "/short_code"),
        (with_(short_code=5), 422, "/short_code"),
        (with_(title=...), 422, "/title"),
        (with_(title=["x"]), 422, "/title"),
        (with_(title="x" * 101), 422, "/title"),
        (with_(body=...), 422, "/body"),
        (with_(body=""), 422, "/body"),
        (with_(body="x" * 4001), 422, "/body"),
        (with_(body="Hi {{contact.nme}}"), 422, "/body"),
        (with_(body="Hi {{contact.name"), 422, "/body"),
        (with_(body="Hi {{ }}"), 422, "/body"),
        (with_(body="Hi {{contact name}}"), 422, "/body"),
        (with_(body={"text": "x"}), 422, "/body"),
        (with_(shortcode="x"), 422, "/shortcode"),
    ]
    for body, status, ptr in cases:
        r = sup.post("/api/v1/canned-responses", body)
        assert_problem(r, status, ptr)
    r = sup.post("/api/v1/canned-responses", with_(body="Hi {{contact.nme}}"))
    assert "{{contact.nme}}" in r.json["detail"], r.json
    r = sup.post("/api/v1/canned-responses", with_(body="Hi {{contact.name"))
    assert "never closed" in r.json["detail"], r.json
    # several bad fields are reported together
    r = sup.post("/api/v1/canned-responses", {"title": 1, "short_code": 2, "body": 3})
    assert {e["pointer"] for e in r.json["errors"]} == {"/title", "/short_code", "/body"}
    cid = SEED["canned"]
    for body, status, ptr in (({"body": "{{agent}}"}, 422, "/body"), ({"title": None}, 422, "/title"),
                              ({"short_code": "BAD"}, 422, "/short_code")):
        assert_problem(sup.patch(f"/api/v1/canned-responses/{cid}", body), status, ptr)
    assert_problem(sup.patch("/api/v1/canned-responses/999999", {"title": "x"}), 404)
    assert (scalar("SELECT count(*) FROM canned_responses"), events()) == n
    # a body of exactly 4000 characters (multi-byte) is fine, and so is a code of 32
    r = sup.post("/api/v1/canned-responses", with_(short_code="c" * 32, body="\u00e9" * 4000))
    assert r.status == 201, r
    other = r.json["id"]
    assert_problem(sup.patch(f"/api/v1/canned-responses/{other}", {"short_code": "hi"}), 409,
                   "/short_code")
    assert scalar("SELECT short_code FROM canned_responses WHERE id = ?", other) == "c" * 32


def test_canned_search():
    sup = U["supervisor"][0]
    for title, code in (("Refund policy", "refund"), ("Refund delay", "refund-late"),
                        ("Shipping 100% free", "ship"), ("Closing", "bye")):
        assert sup.post("/api/v1/canned-responses",
                        {"title": title, "short_code": code, "body": "text"}).status == 201

    def codes(q):
        r = U["agent"][0].get("/api/v1/canned-responses?q=" + q)
        assert r.status == 200, r
        return sorted(x["short_code"] for x in r.json["data"])

    assert codes("ref") == ["refund", "refund-late"]          # short code prefix
    assert codes("DELAY") == ["refund-late"]                  # title, any case
    assert codes("efund") == ["refund", "refund-late"]        # title substring
    assert codes("100%25") == ["ship"]                        # '%' is literal
    assert codes("_") == []                                   # '_' too
    assert codes("zzz") == []
    assert len(codes("")) == scalar("SELECT count(*) FROM canned_responses WHERE account_id = 1")
    page = sup.get("/api/v1/canned-responses?q=refund&limit=1").json
    assert len(page["data"]) == 1 and page["next"]
    page2 = sup.get(f"/api/v1/canned-responses?q=refund&limit=1&after={page['next']}").json
    assert [x["short_code"] for x in page2["data"]] == ["refund-late"] and page2["next"] is None
    assert_problem(sup.get("/api/v1/canned-responses?q=" + "x" * 101), 400, "/q")


def test_render():
    agent = U["agent"][0]
    cid = SEED["canned"]
    n = events()
    r = agent.post(f"/api/v1/canned-responses/{cid}/render", {"conversation_id": SEED["conv"]})
    assert r.status == 200, r
    assert r.json == {"text": f"Hi Ana, Agent Person from Acme Support here "
                              f"(ref #{SEED['conv']}). Bye!"}, r.json
    assert events() == n, "rendering changes nothing"
    full = U["supervisor"][0].post("/api/v1/canned-responses", {
        "title": "Full name", "short_code": "full", "body": "Dear {{contact.name}},"}).json
    r = agent.post(f"/api/v1/canned-responses/{full['id']}/render",
                   {"conversation_id": SEED["conv"]})
    assert r.json["text"] == "Dear Ana Maria Silva,", r.json
    # a token acts as its user: agent.name is still the caller
    tok = agent.post("/api/v1/tokens", {"name": "macro"}).json["token"]
    r = S.client(token=tok).post(f"/api/v1/canned-responses/{cid}/render",
                                 {"conversation_id": SEED["conv"]})
    assert r.status == 200 and "Agent Person" in r.json["text"]
    # supervisors and admins may render too
    assert U["admin"][0].post(f"/api/v1/canned-responses/{cid}/render",
                              {"conversation_id": SEED["conv"]}).status == 200


def test_render_refusals():
    agent = U["agent"][0]
    cid = SEED["canned"]
    path = f"/api/v1/canned-responses/{cid}/render"
    # a contact without a name: 422 naming the variable, never "Hi ,"
    r = agent.post(path, {"conversation_id": SEED["conv_nameless"]})
    assert_problem(r, 422, "/conversation_id")
    assert "{{contact.first_name}}" in r.json["detail"], r.json
    # unknown conversations, and other accounts' conversations, are not found
    assert_problem(agent.post(path, {"conversation_id": 999999}), 404, "/conversation_id")
    assert_problem(agent.post(path, {"conversation_id": SEED["g_conv"]}), 404)
    assert_problem(agent.post("/api/v1/canned-responses/999999/render",
                              {"conversation_id": SEED["conv"]}), 404)
    for body, ptr in (({}, "/conversation_id"), ({"conversation_id": "1"}, "/conversation_id"),
                      ({"conversation_id": 0}, "/conversation_id"),
                      ({"conversation_id": 1, "x": 1}, "/x")):
        assert_problem(agent.post(path, body), 422, ptr)
    # a stored body that went bad (written around the API) is refused, naming the variable
    bad = execute("INSERT INTO canned_responses(account_id, title, short_code, body, created_at,"
                  " updated_at) VALUES (1, 'Old', 'old', 'Hi {{customer.name}}', 0, 0)")
    r = agent.post(f"/api/v1/canned-responses/{bad}/render", {"conversation_id": SEED["conv"]})
    assert_problem(r, 422, "/body")
    assert "{{customer.name}}" in r.json["detail"], r.json
    execute("UPDATE canned_responses SET body = 'Hi {{contact.name' WHERE id = ?", bad)
    r = agent.post(f"/api/v1/canned-responses/{bad}/render", {"conversation_id": SEED["conv"]})
    assert_problem(r, 422, "/body")
    # analysts read but do not answer customers
    assert_problem(U["analyst"][0].post(path, {"conversation_id": SEED["conv"]}), 403)


# ---- roles and accounts --------------------------------------------------------

def test_roles():
    tid, lid, cid = SEED["team"], SEED["label"], SEED["canned"]
    writes = [
        ("POST", "/api/v1/teams", {"name": "Nope"}),
        ("PATCH", f"/api/v1/teams/{tid}", {"name": "Nope"}),
        ("DELETE", f"/api/v1/teams/{tid}", None),
        ("PUT", f"/api/v1/teams/{tid}/members", {"user_ids": []}),
        ("POST", "/api/v1/labels", {"name": "Nope"}),
        ("PATCH", f"/api/v1/labels/{lid}", {"name": "Nope"}),
        ("DELETE", f"/api/v1/labels/{lid}", None),
        ("POST", "/api/v1/canned-responses", {"title": "N", "short_code": "nope", "body": "n"}),
        ("PATCH", f"/api/v1/canned-responses/{cid}", {"title": "Nope"}),
        ("DELETE", f"/api/v1/canned-responses/{cid}", None),
    ]
    reads = ["/api/v1/teams", f"/api/v1/teams/{tid}", "/api/v1/labels", f"/api/v1/labels/{lid}",
             "/api/v1/canned-responses", f"/api/v1/canned-responses/{cid}"]
    counts = lambda: (scalar("SELECT count(*) FROM teams"), scalar("SELECT count(*) FROM labels"),
                      scalar("SELECT count(*) FROM canned_responses"),
                      scalar("SELECT count(*) FROM team_members"), events())
    before = counts()
    for role in ("analyst", "agent"):
        c = U[role][0]
        for path in reads:
            assert c.get(path).status == 200, (role, path)
        for method, path, body in writes:
            r = c.request(method, path, body=body)
            assert_problem(r, 403)
            assert role in r.json["detail"], r.json
    assert counts() == before
    assert U["analyst"][0].get(f"/api/v1/teams/{tid}").json["name"] == "Billing & Refunds"
    # no session, no catalog
    assert_problem(S.client().get("/api/v1/labels"), 401)
    assert_problem(S.client().post("/api/v1/labels", {"name": "x"}), 401)
    # admins manage as supervisors do
    admin = U["admin"][0]
    t = admin.post("/api/v1/teams", {"name": "Admins' team"})
    assert t.status == 201
    assert admin.delete(f"/api/v1/teams/{t.json['id']}").status == 204


def test_accounts_are_isolated():
    g = U["globex"][0]
    tid, lid, cid = SEED["team"], SEED["label"], SEED["canned"]
    assert g.get("/api/v1/teams").json == {"data": [], "next": None}
    assert g.get("/api/v1/labels").json == {"data": [], "next": None}
    assert g.get("/api/v1/canned-responses?q=hi").json["data"] == []
    n = events()
    for method, path, body in (
            ("GET", f"/api/v1/teams/{tid}", None),
            ("PATCH", f"/api/v1/teams/{tid}", {"name": "pwned"}),
            ("DELETE", f"/api/v1/teams/{tid}", None),
            ("PUT", f"/api/v1/teams/{tid}/members", {"user_ids": []}),
            ("GET", f"/api/v1/labels/{lid}", None),
            ("PATCH", f"/api/v1/labels/{lid}", {"name": "pwned"}),
            ("DELETE", f"/api/v1/labels/{lid}", None),
            ("GET", f"/api/v1/canned-responses/{cid}", None),
            ("PATCH", f"/api/v1/canned-responses/{cid}", {"title": "pwned"}),
            ("DELETE", f"/api/v1/canned-responses/{cid}", None),
            ("POST", f"/api/v1/canned-responses/{cid}/render",
             {"conversation_id": SEED["conv"]})):
        assert_problem(g.request(method, path, body=body), 404)
    assert events() == n
    # the same names and codes are free in another account
    assert g.post("/api/v1/labels", {"name": "billing"}).status == 201
    assert g.post("/api/v1/teams", {"name": "Billing & Refunds"}).status == 201
    gc = g.post("/api/v1/canned-responses", {"title": "G", "short_code": "hi",
                                             "body": "Hi {{contact.name}}"}).json
    # Globex renders for its own conversation, never for Acme's
    r = g.post(f"/api/v1/canned-responses/{gc['id']}/render", {"conversation_id": SEED["g_conv"]})
    assert r.json == {"text": "Hi Gus Globex"}, r
    assert_problem(g.post(f"/api/v1/canned-responses/{gc['id']}/render",
                          {"conversation_id": SEED["conv"]}), 404)
    # Acme's members can not be put on a Globex team
    gt = g.get("/api/v1/teams").json["data"][0]["id"]
    assert_problem(put(g, f"/api/v1/teams/{gt}/members", {"user_ids": [U["agent"][1]]}), 422,
                   "/user_ids/0")
    assert U["agent"][0].get(f"/api/v1/teams/{tid}").json["name"] == "Billing & Refunds"
    types = {e["type"] for e in g.get("/api/v1/events?limit=100").json["data"]}
    assert "team.updated" not in types and "canned.updated" not in types, types


def test_audit_chain_intact():
    p = S.cli("audit", "verify", "--db", S.db)
    assert p.returncode == 0, p.stdout + p.stderr


try:
    setup()
    run([test_team_lifecycle, test_team_members,
         test_team_delete_refused_while_an_inbox_routes_to_it, test_team_bad_input,
         test_label_lifecycle, test_label_names_unique_in_any_case, test_label_bad_input,
         test_label_pagination, test_canned_lifecycle, test_canned_bad_input, test_canned_search,
         test_render, test_render_refusals, test_roles, test_accounts_are_isolated,
         test_audit_chain_intact])
finally:
    S.cleanup()
