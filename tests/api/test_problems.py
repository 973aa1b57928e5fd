"""Bad input of every kind gets a clear application/problem+json answer and
stores nothing: malformed JSON, wrong types, unknown fields, oversized bodies,
deep nesting, long strings, big headers, unknown routes and ids, bad queries,
wrong media types, request rate."""
import http.client
import socket

from harness import Server, assert_problem, run

S = Server("--max-body", "4096", "--max-json-depth", "8", "--max-string", "512",
           "--max-header", "2048")
A = None


def setup():
    global A
    S.init()
    S.start()
    A = S.client()
    A.login("admin@acme.test", "admin-password-1")


def user_count():
    return len(A.get("/api/v1/users?limit=100").json["data"])


def test_malformed_json():
    before = user_count()
    r = A.request("POST", "/api/v1/users", raw=b'{"email": "x@y.z", "role": ')
    assert_problem(r, 400)
    assert "malformed JSON" in r.json["detail"]
    assert_problem(A.request("POST", "/api/v1/users", raw=b"[1,2]"), 400)
    assert_problem(A.request("POST", "/api/v1/users", raw=b""), 400)
    assert_problem(A.request("POST", "/api/v1/users", raw=b'{"a":1,"a":2}'), 400)
    assert_problem(A.request("POST", "/api/v1/users", raw=b'{"email":"\xff\xfe"}'), 400)
    assert user_count() == before


def test_wrong_types_name_each_field():
    before = user_count()
    r = A.post("/api/v1/users", {"email": 42, "role": "overlord", "capacity": "ten",
                                 "nickname": "x"})
    assert_problem(r, 422)
    ptrs = sorted(e["pointer"] for e in r.json["errors"])
    assert ptrs == ["/capacity", "/email", "/nickname", "/role"], ptrs
    assert_problem(A.post("/api/v1/users", {"email": "not-an-email", "role": "agent"}), 422,
                   "/email")
    assert_problem(A.post("/api/v1/users", {"email": "a@b.co", "role": "agent",
                                            "password": "short"}), 422, "/password")
    assert_problem(A.post("/api/v1/auth/login", {"email": ["x"], "password": None}), 422,
                   "/email")
    assert user_count() == before


def test_oversized_body():
    before = user_count()
    big = b'{"email":"' + b"a" * 5000 + b'@x.io","role":"agent"}'
    r = A.request("POST", "/api/v1/users", raw=big)
    assert_problem(r, 413)
    # chunked upload with no Content-Length is cut at the limit too
    conn = http.client.HTTPConnection("127.0.0.1", S.port)
    conn.putrequest("POST", "/api/v1/users")
    conn.putheader("Cookie", A.cookie)
    conn.putheader("X-Requested-With", "parley")
    conn.putheader("Content-Type", "application/json")
    conn.putheader("Transfer-Encoding", "chunked")
    conn.endheaders()
    for _ in range(10):
        chunk = b" " * 1000
        conn.send(b"%x\r\n%s\r\n" % (len(chunk), chunk))
    conn.send(b"0\r\n\r\n")
    resp = conn.getresponse()
    assert resp.status == 413 and resp.getheader("Content-Type") == "application/problem+json"
    conn.close()
    assert user_count() == before


def test_deep_nesting_and_long_strings():
    deep = b'{"email":' + b"[" * 20 + b"1" + b"]" * 20 + b"}"
    r = A.request("POST", "/api/v1/users", raw=deep)
    assert_problem(r, 413)
    assert "nested" in r.json["detail"]
    r = A.post("/api/v1/users", {"email": "a@b.co", "role": "agent", "name": "n" * 600})
    assert_problem(r, 413)


def test_header_too_large():
    r = A.get("/api/v1/me", headers={"X-Padding": "p" * 3000})
    assert_problem(r, 431)


def test_unknown_route_method_and_ids():
    assert_problem(A.get("/api/v1/nothing-here"), 404)
    r = A.request("PUT", "/api/v1/users")
    assert_problem(r, 405)
    assert r.header("allow") == "GET, POST"
    assert_problem(A.get("/api/v1/users/999999"), 404)
    assert_problem(A.get("/api/v1/users/abc"), 404)
    assert_problem(A.get("/api/v1/users/-1"), 404)
    assert_problem(A.patch("/api/v1/users/999999", {"name": "x"}), 404)
    assert_problem(A.delete("/api/v1/tokens/424242"), 404)


def test_bad_query_parameters():
    assert_problem(A.get("/api/v1/users?limit=0"), 400, "/limit")
    assert_problem(A.get("/api/v1/users?limit=101"), 400, "/limit")
    assert_problem(A.get("/api/v1/users?limit=x"), 400, "/limit")
    assert_problem(A.get("/api/v1/users?after=-5"), 400, "/after")
    assert_problem(A.get("/api/v1/events?since=yesterday"), 400, "/since")
    assert_problem(A.get("/api/v1/events?subject_id=x"), 400)


def test_wrong_media_type():
    r = A.request("POST", "/api/v1/tokens", raw=b"name=x",
                  headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert_problem(r, 415)


def test_request_id_echoed_or_generated():
    r = A.get("/api/v1/me", headers={"X-Request-Id": "trace-abc.123"})
    assert r.header("x-request-id") == "trace-abc.123"
    r = A.get("/api/v1/nope", headers={"X-Request-Id": "bad id with spaces"})
    rid = r.header("x-request-id")
    assert rid and " " not in rid and r.json["request_id"] == rid


def test_garbage_on_the_socket_does_not_hurt():
    for junk in (b"\x00\x01\x02\r\n\r\n", b"GET / HTTP/9.9\r\n\r\n", b"POST /api/v1/auth/login "
                 b"HTTP/1.1\r\nContent-Length: -5\r\n\r\n"):
        s = socket.create_connection(("127.0.0.1", S.port))
        s.sendall(junk)
        s.settimeout(1)
        try:
            s.recv(4096)
        except OSError:
            pass
        s.close()
    assert A.get("/api/v1/me").status == 200


def test_health_metrics_openapi():
    c = S.client()
    assert c.get("/healthz").json == {"status": "ok"}
    r = c.get("/readyz")
    assert r.status == 200 and r.json["store"] == "sqlite" and r.json["schema_version"] >= 1
    m = c.get("/metrics").text
    assert 'parley_http_requests_total{method="GET",route="/api/v1/users",status="200"}' in m
    assert 'status="413"' in m and "parley_http_request_duration_seconds_bucket" in m
    assert "parley_build_info" in m and "parley_store_writes_total" in m
    vals = {l.split()[0]: float(l.split()[1]) for l in m.splitlines()
            if l.startswith("parley_store_")}
    # Writes happened (login, users): batches counted, and the writer's busy
    # time is positive and no more than the writes' own time.
    assert vals["parley_store_batches_total"] >= 1, vals
    assert 0 < vals["parley_store_batch_seconds_total"] <= vals["parley_store_write_seconds_total"], vals
    doc = c.get("/api/v1/openapi.json").json
    assert doc["openapi"] == "3.1.0" and "/api/v1/users/{id}" in doc["paths"]


def test_rate_limit_per_address():
    R = Server("--rate-per-ip", "5", "--rate-burst", "5")
    try:
        R.init()
        R.start()
        c = R.client()
        statuses = [c.get("/healthz").status for _ in range(12)]
        # the burst (less the harness's readiness probe) passes, then 429s
        assert 4 <= statuses.count(200) <= 5 and statuses[0] == 200, statuses
        assert statuses[-5:] == [429] * 5, statuses
        r = c.get("/healthz")
        if r.status == 429:
            assert_problem(r, 429)
            assert r.header("retry-after") == "1"
    finally:
        R.cleanup()


try:
    setup()
    run([test_malformed_json, test_wrong_types_name_each_field, test_oversized_body,
         test_deep_nesting_and_long_strings, test_header_too_large,
         test_unknown_route_method_and_ids, test_bad_query_parameters, test_wrong_media_type,
         test_request_id_echoed_or_generated, test_garbage_on_the_socket_does_not_hurt,
         test_health_metrics_openapi, test_rate_limit_per_address])
finally:
    S.cleanup()
