"""harness.py - black-box test harness: runs the real `parley serve` on a free
port with a temporary database and speaks HTTP to it (stdlib only)."""
import hashlib
import hmac
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import traceback

BIN = os.path.abspath(sys.argv[1]) if len(sys.argv) > 1 else "build-test/parley"


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body
        self.text = body.decode("utf-8", "replace")
        ctype = headers.get("content-type", "")
        self.json = None
        if "json" in ctype and body:
            self.json = json.loads(body)

    def header(self, name):
        return self.headers.get(name.lower())

    def __repr__(self):
        return f"<{self.status} {self.text[:300]}>"


class Client:
    """One user agent: keeps its own cookie, optional bearer token."""

    def __init__(self, server, token=None, csrf=True):
        self.server = server
        self.cookie = None
        self.token = token
        self.csrf = csrf

    def request(self, method, path, body=None, headers=None, raw=None):
        conn = http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=30)
        h = {}
        if body is not None:
            raw = json.dumps(body).encode()
        if raw is not None:
            h["Content-Type"] = "application/json"
        if self.cookie:
            h["Cookie"] = self.cookie
        if self.token:
            h["Authorization"] = "Bearer " + self.token
        if self.csrf and method not in ("GET", "HEAD"):
            h["X-Requested-With"] = "parley"
        h.update(headers or {})
        h = {k: v for k, v in h.items() if v is not None}
        conn.request(method, path, body=raw, headers=h)
        r = conn.getresponse()
        headers_out = {}
        for k, v in r.getheaders():
            k = k.lower()
            headers_out[k] = v if k not in headers_out else headers_out[k] + "\n" + v
        resp = Response(r.status, headers_out, r.read())
        conn.close()
        sc = headers_out.get("set-cookie")
        if sc and sc.startswith("parley_session="):
            val = sc.split(";")[0]
            self.cookie = None if val == "parley_session=" else val
        return resp

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, body=None, **kw):
        return self.request("POST", path, body=body, **kw)

    def patch(self, path, body=None, **kw):
        return self.request("PATCH", path, body=body, **kw)

    def delete(self, path, **kw):
        return self.request("DELETE", path, **kw)

    def login(self, email, password):
        r = self.post("/api/v1/auth/login", {"email": email, "password": password})
        assert r.status == 200, r
        return r


class Server:
    """A parley serve process with its own database directory."""

    def __init__(self, *args, env=None):
        self.dir = tempfile.mkdtemp(prefix="parley-api-")
        self.db = os.path.join(self.dir, "parley.db")
        self.args = list(args)
        self.env = dict(os.environ, PARLEY_PWHASH_LIGHT="1", **(env or {}))
        self.proc = None
        self.port = None

    def cli(self, *args, stdin=None, check=True):
        p = subprocess.run([BIN, *args], input=stdin, capture_output=True, text=True,
                           env=self.env, timeout=120)
        if check and p.returncode != 0:
            raise AssertionError(f"parley {' '.join(args)} failed: {p.stdout} {p.stderr}")
        return p

    def init(self, account="Acme", email="admin@acme.test", password="admin-password-1"):
        self.cli("init", "--db", self.db, "--account", account, "--admin", email,
                 stdin=password + "\n")
        return email, password

    def start(self):
        self.port = free_port()
        self.log = open(os.path.join(self.dir, "serve.log"), "w+")
        self.proc = subprocess.Popen(
            [BIN, "serve", "--db", self.db, "--port", str(self.port), "--pwhash-light",
             *self.args], stdout=self.log, stderr=subprocess.STDOUT, env=self.env)
        deadline = time.time() + 20
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError("parley serve exited: " + self.read_log())
            try:
                c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=1)
                c.request("GET", "/healthz")
                if c.getresponse().status == 200:
                    c.close()
                    return self
            except OSError:
                time.sleep(0.05)
        raise AssertionError("parley serve did not come up: " + self.read_log())

    def read_log(self):
        self.log.flush()
        with open(os.path.join(self.dir, "serve.log")) as f:
            return f.read()

    def stop(self):
        if not self.proc:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc = None
                raise AssertionError("parley serve did not stop on SIGTERM")
        code = self.proc.returncode
        self.proc = None
        log = self.read_log()
        if "Sanitizer" in log or "runtime error" in log:
            raise AssertionError("sanitizer report in the server log:\n" + log[-6000:])
        if code != 0:
            raise AssertionError(f"parley serve exited {code}:\n" + log[-4000:])

    def client(self, **kw):
        return Client(self, **kw)

    def cleanup(self):
        try:
            self.stop()
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)


def start_as_admin(server):
    """init + start the server; returns the admin's logged-in client."""
    email, password = server.init()
    server.start()
    admin = server.client()
    admin.login(email, password)
    return admin


def create_api_inbox(admin, name, secret, policy="manual"):
    """An `api` inbox signed with secret; returns its id."""
    r = admin.post("/api/v1/inboxes", {"name": name, "channel": "api",
                                       "settings": {"hmac_secret": secret}, "policy": policy})
    assert r.status == 201, r
    return r.json["id"]


def post_signed(server, inbox, secret, payload):
    """POSTs payload to the api inbox, signed as the inbox's sender signs it."""
    raw = json.dumps(payload).encode()
    sig = "sha256=" + hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()
    return server.client(csrf=False).request("POST", f"/api/v1/inboxes/{inbox}/messages",
                                             raw=raw, headers={"X-Parley-Signature": sig})


def assert_problem(r, status, pointer=None):
    """Every error is application/problem+json with the RFC 9457 members."""
    assert r.status == status, f"expected {status}, got {r!r}"
    assert r.header("content-type") == "application/problem+json", r.headers
    for k in ("type", "title", "status", "detail"):
        assert k in r.json, f"problem lacks {k}: {r.text}"
    assert r.json["status"] == status
    assert isinstance(r.json.get("errors"), list)
    if pointer:
        ptrs = [e["pointer"] for e in r.json["errors"]]
        assert pointer in ptrs, f"no error for {pointer} in {ptrs}"


def run(tests):
    """Runs test functions in order; prints a line per test; exits non-zero on failure."""
    failed = 0
    for t in tests:
        t0 = time.time()
        try:
            t()
            print(f"ok   {t.__name__} ({time.time() - t0:.2f}s)")
        except Exception:
            failed += 1
            print(f"FAIL {t.__name__}")
            traceback.print_exc()
    print(f"{len(tests) - failed}/{len(tests)} passed")
    sys.exit(1 if failed else 0)
