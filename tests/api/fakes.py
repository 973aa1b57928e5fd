"""fakes.py - a local fake of the platforms' send APIs (Graph, WhatsApp Cloud,
Twilio, Telegram, X): records every request and answers in each platform's
format, so delivery is tested without the internet."""
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class FakePlatform:
    def __init__(self):
        self.requests = []
        self.fail_next = 0  # answer this many requests with 503 first
        self.seq = 5000  # platform message ids are unique
        self.lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def do_POST(self):
                n = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(n)
                with fake.lock:
                    fake.requests.append({"path": self.path, "headers": dict(self.headers),
                                          "body": body})
                    fail = fake.fail_next > 0
                    if fail:
                        fake.fail_next -= 1
                if b"PERMFAIL" in body:
                    self.send_response(400)
                    self.send_header("Content-Type", "application/json")
                    self.end_headers()
                    self.wfile.write(b'{"error":{"message":"(#100) Invalid parameter","code":100},'
                                     b'"errors":[{"message":"Invalid parameter","code":21211}],'
                                     b'"ok":false,"description":"Bad Request: invalid parameter",'
                                     b'"message":"Invalid parameter","code":21211}')
                    return
                if fail:
                    self.send_response(503)
                    self.send_header("Content-Type", "application/json")
                    self.end_headers()
                    self.wfile.write(b'{"error":{"message":"temporarily unavailable"}}')
                    return
                with fake.lock:
                    fake.seq += 1
                    seq = fake.seq
                code, answer = fake.answer(self.path, seq)
                data = json.dumps(answer).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

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
        import time
        deadline = time.time() + timeout
        while time.time() < deadline:
            with self.lock:
                if len(self.requests) >= n:
                    return list(self.requests)
            time.sleep(0.05)
        with self.lock:
            return list(self.requests)

    def close(self):
        self.server.shutdown()


class FakeSMTP:
    """A minimal SMTP relay on loopback: records each message's envelope and data."""

    def __init__(self):
        import socketserver
        self.messages = []
        self.reject = {}  # "<address>": [codes]: RCPT answers, one popped per attempt
        self.lock = threading.Lock()
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
                        self.reply("250 OK queued")
                    elif up == "QUIT":
                        self.reply("221 bye")
                        return
                    else:
                        self.reply("250 OK")

        class Srv(socketserver.ThreadingTCPServer):
            allow_reuse_address = True
            daemon_threads = True

        self.server = Srv(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def wait_count(self, n, timeout=15.0):
        """The messages once there are at least n (or whatever came by the timeout)."""
        import time
        deadline = time.time() + timeout
        while time.time() < deadline:
            with self.lock:
                if len(self.messages) >= n:
                    return list(self.messages)
            time.sleep(0.05)
        with self.lock:
            return list(self.messages)

    def close(self):
        self.server.shutdown()
        self.server.server_close()
