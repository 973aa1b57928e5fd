"""Sign-in, sessions (cookie flags, idle expiry, logout), API tokens, login
throttling that never reveals whether an e-mail exists, CSRF, password change."""
import time

from harness import Server, assert_problem, run

S = Server("--session-idle", "2", "--login-free-attempts", "3")


def test_login_sets_strict_cookie_and_me_works():
    email, pw = S.init()
    S.start()
    c = S.client()
    r = c.login(email, pw)
    assert r.json["user"]["email"] == email
    assert "password_hash" not in r.text
    sc = r.header("set-cookie")
    assert "HttpOnly" in sc and "SameSite=Strict" in sc and "Path=/" in sc, sc
    assert "Secure" not in sc  # plain http on loopback
    me = c.get("/api/v1/me")
    assert me.status == 200 and me.json["role"] == "admin" and me.json["via"] == "session"
    assert me.json["account"]["name"] == "Acme"


def test_unauthenticated_is_401_problem():
    r = S.client().get("/api/v1/me")
    assert_problem(r, 401)
    assert "Bearer" in r.header("www-authenticate")
    assert_problem(S.client(token="pk_not-a-real-token").get("/api/v1/me"), 401)


def test_wrong_password_and_unknown_email_look_the_same():
    c = S.client()
    a = c.post("/api/v1/auth/login", {"email": "admin@acme.test", "password": "wrong-password-x"})
    b = c.post("/api/v1/auth/login", {"email": "nobody@acme.test", "password": "wrong-password-x"})
    assert_problem(a, 401)
    assert_problem(b, 401)
    assert a.json["detail"] == b.json["detail"] and a.json["title"] == b.json["title"]
    assert "Set-Cookie" not in a.headers and "set-cookie" not in a.headers


def test_throttling_after_repeated_failures():
    c = S.client()
    email = "victim@acme.test"
    codes = []
    for _ in range(5):
        codes.append(c.post("/api/v1/auth/login", {"email": email, "password": "guess-guess-1"}))
    # three free attempts, then the delay applies: 429 with Retry-After
    assert [r.status for r in codes[:3]] == [401, 401, 401], codes
    assert_problem(codes[3], 429)
    assert int(codes[3].header("retry-after")) >= 1
    # an unknown e-mail is throttled exactly like a known one
    known = [c.post("/api/v1/auth/login", {"email": "admin@acme.test", "password": "bad-bad-bad"})
             for _ in range(4)]
    assert known[3].status == 429, known


def test_idle_session_expires():
    c = S.client()
    c.login("admin@acme.test", "admin-password-1")
    assert c.get("/api/v1/me").status == 200
    time.sleep(2.6)  # session-idle is 2 s for this server
    r = c.get("/api/v1/me")
    assert_problem(r, 401)
    assert "inactivity" in r.json["detail"]


def test_activity_keeps_session_alive():
    c = S.client()
    c.login("admin@acme.test", "admin-password-1")
    for _ in range(6):
        time.sleep(0.6)
        assert c.get("/api/v1/me").status == 200


def test_logout_ends_session():
    c = S.client()
    c.login("admin@acme.test", "admin-password-1")
    old = c.cookie
    r = c.post("/api/v1/auth/logout")
    assert r.status == 204
    assert "Max-Age=0" in r.header("set-cookie")
    c.cookie = old  # replaying the old cookie does not work
    assert_problem(c.get("/api/v1/me"), 401)


def test_csrf_on_cookie_writes():
    c = S.client(csrf=False)
    c.login("admin@acme.test", "admin-password-1")
    r = c.post("/api/v1/tokens", {"name": "ci"})
    assert_problem(r, 403)
    assert r.json["type"] == "/problems/csrf"
    r = c.post("/api/v1/tokens", {"name": "ci"}, headers={"Origin": "http://evil.example"})
    assert_problem(r, 403)
    r = c.post("/api/v1/tokens", {"name": "ci"},
               headers={"Origin": f"http://127.0.0.1:{S.port}"})
    assert r.status == 201, r


def test_tokens_create_use_list_revoke():
    c = S.client()
    c.login("admin@acme.test", "admin-password-1")
    r = c.post("/api/v1/tokens", {"name": "reporting"})
    assert r.status == 201 and r.json["token"].startswith("pk_")
    tok, tid = r.json["token"], r.json["id"]
    t = S.client(token=tok, csrf=False)
    me = t.get("/api/v1/me")
    assert me.status == 200 and me.json["via"] == "token"
    # bearer requests need no CSRF header
    assert t.post("/api/v1/tokens", {"name": "child"}).status == 201
    lst = c.get("/api/v1/tokens").json["data"]
    assert any(x["id"] == tid and x["name"] == "reporting" for x in lst)
    assert all("token" not in x and "hash" not in x for x in lst)
    assert c.delete(f"/api/v1/tokens/{tid}").status == 204
    assert_problem(t.get("/api/v1/me"), 401)
    assert_problem(c.delete(f"/api/v1/tokens/{tid}"), 404)


def test_password_change_ends_sessions():
    c1, c2 = S.client(), S.client()
    c1.login("admin@acme.test", "admin-password-1")
    c2.login("admin@acme.test", "admin-password-1")
    r = c1.post("/api/v1/me/password", {"current_password": "nope-nope-nope",
                                         "new_password": "another-password-2"})
    assert_problem(r, 403)
    r = c1.post("/api/v1/me/password", {"current_password": "admin-password-1",
                                         "new_password": "short"})
    assert_problem(r, 422, "/new_password")
    r = c1.post("/api/v1/me/password", {"current_password": "admin-password-1",
                                         "new_password": "another-password-2"})
    assert r.status == 204, r
    assert_problem(c2.get("/api/v1/me"), 401)
    c3 = S.client()
    c3.login("admin@acme.test", "another-password-2")
    assert c3.get("/api/v1/me").json["must_change_password"] is False
    c3.post("/api/v1/me/password", {"current_password": "another-password-2",
                                    "new_password": "admin-password-1"})


def test_availability_is_self_service():
    c = S.client()
    c.login("admin@acme.test", "admin-password-1")
    r = c.patch("/api/v1/me", {"availability": "online"})
    assert r.status == 200 and r.json["availability"] == "online"
    assert_problem(c.patch("/api/v1/me", {"availability": "asleep"}), 422, "/availability")
    assert_problem(c.patch("/api/v1/me", {"role": "admin"}), 422, "/role")


def test_events_record_logins():
    c = S.client()
    c.login("admin@acme.test", "admin-password-1")
    r = c.get("/api/v1/events?type=auth.&limit=100")
    types = {e["type"] for e in r.json["data"]}
    assert {"auth.login", "auth.login_failed", "auth.logout"} <= types, types


try:
    run([test_login_sets_strict_cookie_and_me_works, test_unauthenticated_is_401_problem,
         test_wrong_password_and_unknown_email_look_the_same,
         test_idle_session_expires,
         test_activity_keeps_session_alive, test_logout_ends_session, test_csrf_on_cookie_writes,
         test_tokens_create_use_list_revoke, test_password_change_ends_sessions,
         test_availability_is_self_service, test_events_record_logins,
         test_throttling_after_repeated_failures])  # last: it leaves this address throttled
finally:
    S.cleanup()
