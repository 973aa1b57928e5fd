"""Role boundaries (analyst reads, agent works, supervisor manages, admin
administers) and cross-account isolation, each line proved over HTTP."""
from harness import Server, assert_problem, run

S = Server()
PW = "role-password-123"
users = {}


def setup():
    S.init()
    S.start()
    admin = S.client()
    admin.login("admin@acme.test", "admin-password-1")
    for role in ("supervisor", "agent", "analyst"):
        r = admin.post("/api/v1/users", {"email": f"{role}@acme.test", "role": role,
                                          "name": role.title(), "password": PW})
        assert r.status == 201, r
        assert r.header("location") == f"/api/v1/users/{r.json['id']}"
        c = S.client()
        c.login(f"{role}@acme.test", PW)
        users[role] = (c, r.json["id"])
    users["admin"] = (admin, 1)
    # a second brand on the same server
    S.cli("init", "--db", S.db, "--account", "Globex", "--admin", "admin@globex.test",
          stdin="globex-password-1\n")
    g = S.client()
    g.login("admin@globex.test", "globex-password-1")
    users["globex"] = (g, None)


def test_everyone_reads():
    for role in ("admin", "supervisor", "agent", "analyst"):
        c = users[role][0]
        assert c.get("/api/v1/users").status == 200, role
        assert c.get("/api/v1/events").status == 200, role
        assert c.get("/api/v1/account").status == 200, role


def test_only_admin_manages_users():
    for role in ("supervisor", "agent", "analyst"):
        c = users[role][0]
        r = c.post("/api/v1/users", {"email": f"new-{role}@acme.test", "role": "agent"})
        assert_problem(r, 403)
        assert role in r.json["detail"]
        assert_problem(c.patch(f"/api/v1/users/{users['agent'][1]}", {"role": "admin"}), 403)
        assert_problem(c.delete(f"/api/v1/users/{users['agent'][1]}"), 403)
    r = users["admin"][0].patch(f"/api/v1/users/{users['agent'][1]}", {"capacity": 4})
    assert r.status == 200 and r.json["capacity"] == 4


def test_analyst_may_still_manage_own_session():
    c = users["analyst"][0]
    assert c.patch("/api/v1/me", {"availability": "away"}).status == 200
    assert c.post("/api/v1/tokens", {"name": "bi"}).status == 201


def test_generated_password_returned_once():
    admin = users["admin"][0]
    r = admin.post("/api/v1/users", {"email": "gen@acme.test", "role": "agent"})
    assert r.status == 201 and len(r.json["password"]) >= 20
    assert r.json["must_change_password"] is True
    got = admin.get(f"/api/v1/users/{r.json['id']}")
    assert "password" not in got.json
    assert_problem(admin.post("/api/v1/users", {"email": "GEN@acme.test", "role": "agent"}), 409)


def test_last_admin_cannot_be_demoted_or_disabled():
    admin = users["admin"][0]
    assert_problem(admin.patch("/api/v1/users/1", {"role": "agent"}), 409)
    assert_problem(admin.delete("/api/v1/users/1"), 409)
    assert admin.get("/api/v1/me").json["role"] == "admin"


def test_disabled_user_is_signed_out():
    admin = users["admin"][0]
    r = admin.post("/api/v1/users", {"email": "leaver@acme.test", "role": "agent",
                                      "password": PW})
    c = S.client()
    c.login("leaver@acme.test", PW)
    tok = c.post("/api/v1/tokens", {"name": "t"}).json["token"]
    assert admin.delete(f"/api/v1/users/{r.json['id']}").status == 204
    assert_problem(c.get("/api/v1/me"), 401)
    assert_problem(S.client(token=tok).get("/api/v1/me"), 401)
    assert_problem(S.client().post("/api/v1/auth/login",
                                   {"email": "leaver@acme.test", "password": PW}), 401)


def test_accounts_are_isolated():
    g = users["globex"][0]
    # Acme's users are invisible to Globex, by list and by id
    emails = [u["email"] for u in g.get("/api/v1/users").json["data"]]
    assert emails == ["admin@globex.test"], emails
    assert_problem(g.get(f"/api/v1/users/{users['agent'][1]}"), 404)
    assert_problem(g.patch(f"/api/v1/users/{users['agent'][1]}", {"name": "pwned"}), 404)
    assert_problem(g.delete(f"/api/v1/users/{users['agent'][1]}"), 404)
    # Acme's events and tokens too
    acme_tokens = users["admin"][0].get("/api/v1/tokens").json["data"]
    assert acme_tokens, "acme has tokens"
    assert g.get("/api/v1/tokens").json["data"] == []
    assert_problem(g.delete(f"/api/v1/tokens/{acme_tokens[0]['id']}"), 404)
    types = {e["type"] for e in g.get("/api/v1/events?limit=100").json["data"]}
    assert "user.created" in types
    for e in g.get("/api/v1/events?limit=100").json["data"]:
        assert "acme" not in str(e["payload"]).lower(), e
    assert users["agent"][0].get("/api/v1/users/1").json["name"] != "pwned"


def test_pagination_by_cursor():
    admin = users["admin"][0]
    seen, after = [], None
    while True:
        q = "/api/v1/users?limit=2" + (f"&after={after}" if after else "")
        page = admin.get(q).json
        seen += [u["id"] for u in page["data"]]
        after = page["next"]
        if after is None:
            break
    assert seen == sorted(seen) and len(seen) == len(set(seen)) >= 6, seen


try:
    setup()
    run([test_everyone_reads, test_only_admin_manages_users,
         test_analyst_may_still_manage_own_session, test_generated_password_returned_once,
         test_last_admin_cannot_be_demoted_or_disabled, test_disabled_user_is_signed_out,
         test_accounts_are_isolated, test_pagination_by_cursor])
finally:
    S.cleanup()
