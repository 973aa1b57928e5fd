"""platforms.py - local fakes of the platforms' send APIs, for tests, the
benchmark and demos: Graph (Messenger, Instagram), WhatsApp Cloud, Twilio,
Telegram and X over HTTP, and an SMTP relay for e-mail. Each records every
request it receives and answers in the platform's own format; it can be told
to fail the next requests: 500/503, 429 with Retry-After, a slow answer (a
timeout for the caller), no answer at all until released (a hang, or a drop
that also forgets the request), or a
permanent 400 in the platform's error format (also any body containing
PERMFAIL). The Twilio fake also answers its Messages list (GET), from the
messages it took (even those whose answer it never sent).

Importable (tests/api add this folder to sys.path):

    from platforms import FakePlatform, FakeSMTP
    F = FakePlatform()                 # on a free loopback port; F.url
    F.script(("status", 500), ("retry_after", 1), ("timeout", 3), ("hang",), ("bad",))

Standalone: python3 tests/fakes/platforms.py --port 8099 [--smtp-port 2525]
serves until interrupted and prints one JSON line per request received."""
import argparse
import json
import socketserver
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

BAD_REQUEST = (b'{"error":{"message":"(#100) Invalid parameter","code":100},'
               b'"errors":[{"message":"Invalid parameter","code":21211}],'
               b'"ok":false,"description":"Bad Request: invalid parameter",'
               b'"message":"Invalid parameter","code":21211}')


class FakePlatform:
    """The HTTP platforms on one port; each path answers as its platform does."""

    def __init__(self, port=0, echo=False):
        self.requests = []
        self.fail_next = 0  # answer this many requests with 503 first (kept for old tests)
        self.actions = []   # scripted answers for the next requests, in order
        self.seq = 5000     # platform message ids are unique
        self.lookups = []   # GETs: Twilio's Messages list, asked before a resend
        self.twilio_created = []  # the messages Twilio would hold
        self.lock = threading.Lock()
        self.released = threading.Event()
        self.echo = echo
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def send(self, code, body, headers=()):
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                for k, v in headers:
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self):
                # Twilio's Messages list: what this fake "created", newest first
                with fake.lock:
                    fake.lookups.append({"path": self.path, "at": time.monotonic()})
                    if not (self.path.startswith("/2010-04-01/") and "/Messages.json" in self.path):
                        return self.send(404, b'{"error":"unknown path"}')
                    q = urllib.parse.parse_qs(urllib.parse.urlparse(self.path).query)
                    found = [m for m in reversed(fake.twilio_created)
                             if m["to"] == q.get("To", [None])[0]
                             and m["from"] == q.get("From", [None])[0]]
                    return self.send(200, json.dumps({"messages": found, "page_size": 50})
                                     .encode())

            def do_POST(self):
                n = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(n)
                with fake.lock:
                    fake.seq += 1
                    seq = fake.seq
                    req = {"path": self.path, "headers": dict(self.headers), "body": body,
                           "at": time.monotonic(), "seq": seq}
                    fake.requests.append(req)
                    action = fake.actions.pop(0) if fake.actions else None
                    if action is None and fake.fail_next > 0:
                        fake.fail_next -= 1
                        action = ("status", 503)
                    refused = b"PERMFAIL" in body or (action and action[0] in
                                                      ("bad", "status", "retry_after", "drop"))
                    if self.path.startswith("/2010-04-01/") and not refused:
                        # Twilio creates the message when it takes the request,
                        # even when its answer never reaches the caller (a hang)
                        form = urllib.parse.parse_qs(body.decode())
                        fake.twilio_created.append({
                            "sid": f"SMreply{seq}", "direction": "outbound-api",
                            "to": form.get("To", [""])[0], "from": form.get("From", [""])[0],
                            "body": form.get("Body", [""])[0], "status": "queued",
                            "date_created": time.strftime("%a, %d %b %Y %H:%M:%S +0000",
                                                          time.gmtime())})
                if fake.echo:
                    print(json.dumps({"path": self.path, "at": req["at"],
                                      "body": body.decode("utf-8", "replace")}), flush=True)
                if b"PERMFAIL" in body or (action and action[0] == "bad"):
                    return self.send(400, BAD_REQUEST)
                if action and action[0] == "status":
                    return self.send(action[1], b'{"error":{"message":"temporarily unavailable"}}')
                if action and action[0] == "retry_after":
                    return self.send(429, b'{"error":{"message":"rate limited"}}',
                                     [("Retry-After", str(action[1]))])
                if action and action[0] == "timeout":
                    time.sleep(action[1])
                if action and action[0] in ("hang", "drop"):
                    fake.released.wait()
                    self.close_connection = True
                    return
                code, answer = fake.answer(self.path, seq)
                try:
                    self.send(code, json.dumps(answer).encode())
                except OSError:
                    pass  # the caller gave up (a timeout): nothing to answer

        class Srv(ThreadingHTTPServer):
            daemon_threads = True
            allow_reuse_address = True

        self.server = Srv(("127.0.0.1", port), Handler)
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def script(self, *actions):
        """Queues answers for the next requests: ("status", 500), ("retry_after", s),
        ("timeout", s), ("hang",) (taken, never answered), ("drop",) (never
        answered and not taken: Twilio's list will not show it), ("bad",)."""
        with self.lock:
            if any(a[0] in ("hang", "drop") for a in actions):
                self.released.clear()
            self.actions.extend(actions)

    def release(self):
        """Lets hung requests go (they are closed without an answer)."""
        self.released.set()

    @staticmethod
    def answer(path, seq):
        if path.startswith("/v19.0/me/messages"):
            return 200, {"recipient_id": "7001002003004005", "message_id": "m_Reply0001"}
        if "/messages" in path and path.startswith("/v19.0/1065"):
            return 200, {"messaging_product": "whatsapp", "messages": [{"id": "wamid.REPLY0001"}]}
        if path.startswith("/v19.0/") and (path.endswith("/comments") or path.endswith("/replies")
                                            or path.endswith("/messages")):
            return 200, {"id": f"reply_comment_{seq}"}
        if path.startswith("/2010-04-01/"):
            return 201, {"sid": f"SMreply{seq}", "status": "queued"}
        if "/sendMessage" in path:
            return 200, {"ok": True, "result": {"message_id": seq, "date": 1764000800,
                                                "chat": {"id": 123456789, "type": "private"}}}
        if path.startswith("/2/tweets"):
            return 201, {"data": {"id": f"18610000000000{seq}", "text": "ok"}}
        if path.startswith("/2/dm_conversations/"):
            return 201, {"data": {"dm_conversation_id": "c1", "dm_event_id": f"dm_reply_{seq}"}}
        return 404, {"error": "unknown path " + path}

    def wait_for(self, n, timeout=10.0):
        deadline = time.time() + timeout
        while time.time() < deadline:
            with self.lock:
                if len(self.requests) >= n:
                    return list(self.requests)
            time.sleep(0.05)
        with self.lock:
            return list(self.requests)

    def close(self):
        self.release()
        self.server.shutdown()
        self.server.server_close()


class FakeSMTP:
    """A minimal SMTP relay on loopback: records envelope and data. hang_data
    makes it keep the next messages' DATA unanswered until released; reject
    maps "<address>" to a list of RCPT answer codes, one popped per attempt."""

    def __init__(self, port=0):
        self.messages = []
        self.hang_data = 0
        self.reject = {}
        self.lock = threading.Lock()
        self.released = threading.Event()
        outer = self

        class Handler(socketserver.StreamRequestHandler):
            def reply(self, line):
                self.wfile.write(line.encode() + b"\r\n")

            def handle(self):
                env = {"from": None, "to": [], "data": None}
                self.reply("220 fake.test ESMTP")
                while True:
                    line = self.rfile.readline()
                    if not line:
                        return
                    cmd = line.decode("latin-1").strip()
                    up = cmd.upper()
                    if up.startswith("EHLO") or up.startswith("HELO"):
                        self.wfile.write(b"250-fake.test\r\n250 8BITMIME\r\n")
                    elif up.startswith("MAIL FROM:"):
                        env = {"from": cmd[10:].strip(), "to": [], "data": None}
                        self.reply("250 OK")
                    elif up.startswith("RCPT TO:"):
                        rcpt = cmd[8:].strip()
                        with outer.lock:
                            codes = outer.reject.get(rcpt)
                            code = codes.pop(0) if codes else None
                        if code:
                            self.reply(f"{code} {'try later' if code < 500 else 'no such user'}")
                        else:
                            env["to"].append(rcpt)
                            self.reply("250 OK")
                    elif up == "DATA":
                        self.reply("354 go ahead")
                        data = b""
                        while not data.endswith(b"\r\n.\r\n"):
                            chunk = self.rfile.readline()
                            if not chunk:
                                return
                            data += chunk
                        env["data"] = data[:-5].decode("utf-8", "replace")
                        with outer.lock:
                            outer.messages.append(dict(env))
                            hang = outer.hang_data > 0
                            if hang:
                                outer.hang_data -= 1
                        if hang:
                            outer.released.wait()
                            return
                        self.reply("250 OK queued")
                    elif up == "QUIT":
                        self.reply("221 bye")
                        return
                    else:
                        self.reply("250 OK")

        class Srv(socketserver.ThreadingTCPServer):
            allow_reuse_address = True
            daemon_threads = True

        self.server = Srv(("127.0.0.1", port), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def wait_for(self, n, timeout=15.0):
        """The n-th message (1-based), waiting for it; an assertion when it never came."""
        got = self.wait_count(n, timeout)
        assert len(got) >= n, f"expected {n} mails, got {len(got)}"
        return got[n - 1]

    def wait_count(self, n, timeout=15.0):
        """The messages once there are at least n (or whatever came by the timeout)."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            with self.lock:
                if len(self.messages) >= n:
                    return list(self.messages)
            time.sleep(0.05)
        with self.lock:
            return list(self.messages)

    def release(self):
        self.released.set()

    def close(self):
        self.release()
        self.server.shutdown()
        self.server.server_close()


def main():
    ap = argparse.ArgumentParser(description="fake platform send APIs (and an SMTP relay)")
    ap.add_argument("--port", type=int, required=True, help="HTTP port (0 = any free port)")
    ap.add_argument("--smtp-port", type=int, help="also run the SMTP relay on this port")
    ap.add_argument("--quiet", action="store_true", help="do not print each request")
    args = ap.parse_args()
    f = FakePlatform(args.port, echo=not args.quiet)
    print(json.dumps({"listening": f.url}), flush=True)
    if args.smtp_port is not None:
        s = FakeSMTP(args.smtp_port)
        print(json.dumps({"smtp": f"smtp://127.0.0.1:{s.port}"}), flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        sys.exit(0)


if __name__ == "__main__":
    main()
