"""outbound_load.py - the outbound benchmark's driver (bench/outbound.sh runs it).

usage: outbound_load.py PARLEY_BIN FAKE_URL WORK_DIR N RATE SECONDS

1. deliveries/s: N agent replies are committed
   (Telegram inbox, 1000 customers, so about N/1000 replies per conversation)
   while the inbox's rate limit holds them (rate_per_second 0.001, burst 1);
   the limit is lifted and the server restarted, so the worker starts with a
   backlog of N due rows; the figure is N over the time between the fake
   platform's first and last receipt of them.
2. reply -> delivery: replies posted at RATE/s for SECONDS; for each, the time
   from the API's 201 (reply committed and answered) to the fake's receipt
   (both CLOCK_MONOTONIC); p50/p99/max.
Prints one line per figure; exit 1 when a reply was not delivered."""
import http.client
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.parse

BIN, FAKE, WORK = sys.argv[1], sys.argv[2], sys.argv[3]
N, RATE, SECS = int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
DB = os.path.join(WORK, "outbound.db")
SECRET = "bench-telegram-secret"
CUSTOMERS = 1000
FAKE_HOST = urllib.parse.urlparse(FAKE)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


class Server:
    def __init__(self):
        self.proc = None
        self.port = None

    def start(self):
        self.port = free_port()
        self.log = open(os.path.join(WORK, "outbound-serve.log"), "a")
        self.proc = subprocess.Popen([BIN, "serve", "--db", DB, "--port", str(self.port),
                                      "--log-level", "warn"], stdout=self.log, stderr=self.log)
        with open(os.path.join(WORK, "serve.pid"), "w") as f:  # for a profiler to attach
            f.write(f"{self.proc.pid}\n")
        for _ in range(400):
            try:
                c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=1)
                c.request("GET", "/healthz")
                if c.getresponse().status == 200:
                    return
            except OSError:
                time.sleep(0.025)
        raise SystemExit("parley serve did not come up")

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None


S = Server()


def call(conn, method, path, body=None, headers=None, token=None):
    h = dict(headers or {})
    if token:
        h["Authorization"] = "Bearer " + token
    if body is not None and not isinstance(body, bytes):
        body = json.dumps(body).encode()
        h["Content-Type"] = "application/json"
    conn.request(method, path, body=body, headers=h)
    r = conn.getresponse()
    data = r.read()
    return r.status, data


def fake(path):
    c = http.client.HTTPConnection(FAKE_HOST.hostname, FAKE_HOST.port, timeout=30)
    c.request("GET", path)
    return c.getresponse().read().decode()


def fake_records():
    out = {}
    for line in fake("/dump").splitlines():
        tag, ns = line.split()
        if int(tag) >= 0:
            out[int(tag)] = int(ns)
    return out


def wait_delivered(tags, timeout=300):
    deadline = time.time() + timeout
    while time.time() < deadline:
        got = fake_records()
        if all(t in got for t in tags):
            return got
        time.sleep(0.2)
    got = fake_records()
    missing = [t for t in tags if t not in got]
    raise SystemExit(f"{len(missing)} replies never reached the fake (first: {missing[:5]})")


def post_replies(token, convs, tags, threads, pace=None):
    """Posts reply 'bench <tag>' for each tag; returns {tag: answered_ns}."""
    answered = {}
    lock = threading.Lock()
    errors = []
    t0 = time.monotonic()

    def worker(k):
        conn = http.client.HTTPConnection("127.0.0.1", S.port, timeout=60)
        for i in range(k, len(tags), threads):
            if pace:
                wait = t0 + i / pace - time.monotonic()
                if wait > 0:
                    time.sleep(wait)
            tag = tags[i]
            st, data = call(conn, "POST", f"/api/v1/conversations/{convs[tag % len(convs)]}/messages",
                            {"kind": "reply", "body": f"bench {tag} thanks for waiting",
                             "takeover": True}, token=token)
            now = time.monotonic_ns()
            if st != 201:
                errors.append((st, data[:200]))
                continue
            with lock:
                answered[tag] = now

    ts = [threading.Thread(target=worker, args=(k,)) for k in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    if errors:
        raise SystemExit(f"{len(errors)} replies refused, first: {errors[0]}")
    return answered, time.monotonic() - t0


def main():
    subprocess.run([BIN, "init", "--db", DB, "--account", "Bench", "--admin",
                    "admin@bench.test"], input="bench-password-1\n", text=True, check=True,
                   capture_output=True)
    token = subprocess.run([BIN, "token", "create", "--db", DB, "--email", "admin@bench.test",
                            "--name", "bench"], capture_output=True, text=True,
                           check=True).stdout.strip()
    S.start()
    conn = http.client.HTTPConnection("127.0.0.1", S.port, timeout=60)
    st, data = call(conn, "POST", "/api/v1/inboxes", {
        "name": "Telegram", "channel": "telegram", "policy": "manual",
        "settings": {"bot_token": "1:bench", "secret_token": SECRET, "api_base_url": FAKE,
                     "rate_per_second": 0.001, "rate_burst": 1}}, token=token)
    assert st == 201, data
    inbox = json.loads(data)["id"]
    for i in range(CUSTOMERS):
        raw = json.dumps({"update_id": 1000 + i, "message": {
            "message_id": 1000 + i, "date": 1764000700, "text": "Where is my order?",
            "from": {"id": 5000 + i, "is_bot": False, "first_name": f"C{i}"},
            "chat": {"id": 5000 + i, "type": "private"}}}).encode()
        st, data = call(conn, "POST", f"/webhooks/{inbox}", raw,
                        {"Content-Type": "application/json",
                         "X-Telegram-Bot-Api-Secret-Token": SECRET})
        assert st == 200, data
    convs, after = [], ""
    while True:
        st, data = call(conn, "GET", f"/api/v1/conversations?inbox_id={inbox}&limit=100{after}",
                        token=token)
        page = json.loads(data)
        convs += [c["id"] for c in page["data"]]
        if not page["next"]:
            break
        after = "&after=" + urllib.parse.quote(page["next"])
    convs.sort()
    assert len(convs) == CUSTOMERS, len(convs)

    # 1. a backlog of N replies, drained after a restart
    tags = list(range(N))
    _, took = post_replies(token, convs, tags, 8)
    print(f"backlog: {N} replies committed in {took:.1f} s ({N / took:.0f} replies/s), "
          f"held by the inbox's rate limit")
    st, data = call(conn, "PATCH", f"/api/v1/inboxes/{inbox}",
                    {"settings": {"rate_per_second": 100000, "rate_burst": 100000}}, token=token)
    assert st == 200, data
    conn.close()
    S.stop()
    restart_ns = time.monotonic_ns()
    S.start()
    got = wait_delivered(tags)
    after = sorted(ns for t, ns in got.items() if t < N and ns > restart_ns)
    span = (after[-1] - after[0]) / 1e9
    print(f"deliveries: {len(after)} backlogged replies delivered in {span:.2f} s: "
          f"{len(after) / span:.0f} deliveries/s")
    con = sqlite3.connect(DB)
    sent = con.execute("SELECT count(*) FROM outbox WHERE status = 'sent'").fetchone()[0]
    con.close()
    assert sent == N, f"{sent} of {N} outbox rows sent"

    # 2. reply -> delivery latency at a steady rate
    tags = list(range(N, N + RATE * SECS))
    answered, took = post_replies(token, convs, tags, 8, pace=RATE)
    got = wait_delivered(tags)
    lat = sorted(max(0, got[t] - answered[t]) / 1e6 for t in tags)
    early = sum(1 for t in tags if got[t] < answered[t])

    def pct(p):
        return lat[min(len(lat) - 1, int(p / 100 * len(lat)))]
    print(f"reply -> delivery: {len(tags)} replies at {len(tags) / took:.0f}/s: "
          f"p50 {pct(50):.2f} ms, p99 {pct(99):.2f} ms, max {lat[-1]:.2f} ms "
          f"({early} reached the fake before their 201 reached the client: counted 0)")
    S.stop()


try:
    main()
finally:
    S.stop()
