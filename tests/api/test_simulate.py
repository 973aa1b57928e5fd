"""`parley demo` and `parley simulate` against a real server: the demo setup
creates an inbox of every channel type and writes their secrets (mode 0600);
40 simulated, signed messages are all accepted (no webhook rejected), land in
conversations of every channel the simulator drives, include a repeat writer on
two channels whose contacts can be merged and card numbers pasted in public
that the PII detector finds; the built-in fake platform answers replies so they
show "sent"; a malformed inboxes file is refused with a clear error."""
import json
import os
import re
import stat
import subprocess
import time

from harness import BIN, Server, free_port, run

S = Server()
A = None
CTX = {}


def sim(*args, timeout=120):
    return subprocess.run([BIN, "simulate", *args], capture_output=True, text=True,
                          env=S.env, timeout=timeout)


def conversations():
    out = []
    for st in ("open", "pending", "snoozed", "resolved"):
        out += A.get(f"/api/v1/conversations?status={st}&limit=100").json["data"]
    return out


def setup():
    global A
    S.init()
    S.start()
    A = S.client()
    A.login("admin@acme.test", "admin-password-1")
    CTX["inboxes"] = os.path.join(S.dir, "demo-inboxes.json")
    CTX["fake_port"] = free_port()
    CTX["url"] = f"http://127.0.0.1:{S.port}"


def test_demo_creates_every_channel_and_is_idempotent():
    out = CTX["inboxes"]
    args = ["demo", "--db", S.db, "--out", out, "--url", CTX["url"],
            "--fake-url", f"http://127.0.0.1:{CTX['fake_port']}"]
    p = S.cli(*args)
    assert "9 inboxes" in p.stdout and "(9 new)" in p.stdout, p.stdout
    assert stat.S_IMODE(os.stat(out).st_mode) == 0o600
    listed = json.load(open(out))
    chans = {i["channel"] for i in listed}
    assert chans == {"messenger", "instagram", "whatsapp", "twilio_sms", "telegram", "x", "api",
                     "email", "web"}, chans
    # the secrets in the file are the inbox's (the API masks them)
    for i in listed:
        got = A.get(f"/api/v1/inboxes/{i['id']}").json
        assert got["channel"] == i["channel"]
        assert all(v == "********" for k, v in got["settings"].items()
                   if "secret" in k or "token" in k), got
    twilio = [i for i in listed if i["channel"] == "twilio_sms"][0]
    assert twilio["settings"]["webhook_url"] == f"{CTX['url']}/webhooks/{twilio['id']}"
    # again: nothing new, same ids and secrets
    p = S.cli(*args)
    assert "(0 new)" in p.stdout, p.stdout
    assert json.load(open(out)) == listed
    users = A.get("/api/v1/users?limit=100").json["data"]
    assert len([u for u in users if u["email"].endswith("@demo.parley.local")]) == 5
    CTX["by_id"] = {i["id"]: i["channel"] for i in listed}


def test_simulate_traffic_is_accepted_everywhere():
    p = sim("--url", CTX["url"], "--inboxes", CTX["inboxes"], "--count", "40", "--seed", "1",
            "--rate", "40", "--fake-platform", str(CTX["fake_port"]))
    assert p.returncode == 0, p.stdout + p.stderr
    assert "40 sent, 40 2xx" in p.stdout, p.stdout
    assert "Sanitizer" not in p.stderr and "runtime error" not in p.stderr, p.stderr
    m = S.client().get("/metrics").text
    rejected = re.findall(r"^parley_webhook_rejected_total(?:\{[^}]*\})? (\d+)", m, re.M)
    assert all(int(n) == 0 for n in rejected), rejected
    convs = conversations()
    seen = {CTX["by_id"][c["inbox_id"]] for c in convs if c["inbox_id"] in CTX["by_id"]}
    assert seen == {"messenger", "instagram", "whatsapp", "twilio_sms", "telegram", "x", "api",
                    "web"}, seen
    assert {c["visibility"] for c in convs} == {"public", "private"}


def test_repeat_writer_contacts_merge_across_channels():
    contacts = A.get("/api/v1/contacts?limit=100").json["data"]
    by_name = {}
    for c in contacts:
        if c["merged_into"] is None:
            by_name.setdefault(c["name"], []).append(c)
    pair = None
    for name, cs in by_name.items():
        chans = {i["channel"] for c in cs for i in c["identities"]}
        if len(cs) >= 2 and len(chans) >= 2:
            pair = cs
            break
    assert pair, "no person wrote on two channels: " + json.dumps(by_name)[:600]
    into, other = pair[0], [c for c in pair[1:] if {i["channel"] for i in c["identities"]} !=
                            {i["channel"] for i in pair[0]["identities"]}][0]
    r = A.post(f"/api/v1/contacts/{into['id']}/merge", {"from": other["id"]})
    assert r.status == 200, r
    chans = {i["channel"] for i in r.json["identities"]}
    assert len(chans) >= 2, r.json
    # a follower count made it through (X carries it)
    assert any(i["followers"] for c in contacts for i in c["identities"]
               if i["channel"] == "x"), contacts


def test_public_card_numbers_are_detected():
    found = []
    for c in conversations():
        if c["visibility"] != "public":
            continue
        for m in A.get(f"/api/v1/conversations/{c['id']}/messages").json["data"]:
            if any(p["kind"] == "card" for p in (m.get("analysis") or {}).get("pii") or []):
                found.append(m["body"])
    assert found, "no card number found in public messages"


def test_replies_reach_the_fake_platform():
    fake = subprocess.Popen([BIN, "simulate", "--fake-platform", str(CTX["fake_port"])],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=S.env)
    try:
        time.sleep(0.5)
        mids = {}
        convs = conversations()
        for ch in ("messenger", "whatsapp", "telegram", "x", "twilio_sms"):
            c = [c for c in convs if CTX["by_id"].get(c["inbox_id"]) == ch][0]
            r = A.post(f"/api/v1/conversations/{c['id']}/messages",
                       {"kind": "reply", "body": "Thanks, we are on it."})
            assert r.status == 201, (ch, r)
            mids[ch] = (c["id"], r.json["id"])
        deadline = time.time() + 15
        pending = dict(mids)
        while pending and time.time() < deadline:
            for ch, (cid, mid) in list(pending.items()):
                for m in A.get(f"/api/v1/conversations/{cid}/messages").json["data"]:
                    if m["id"] == mid and m["delivery_status"] == "sent":
                        del pending[ch]
            time.sleep(0.2)
        assert not pending, f"not sent through the fake: {pending}"
    finally:
        fake.terminate()
        out, err = fake.communicate(timeout=10)
    assert fake.returncode == 0, err
    answered = re.search(r"answered (\d+) replies", out)
    assert answered and int(answered.group(1)) >= 5, out


def test_malformed_inboxes_file_is_refused_clearly():
    url = CTX["url"]
    cases = [
        ("not json", "line 1"),
        ('{"id": 1}', "must be a JSON array"),
        ("[]", "lists no inboxes"),
        ('[{"id": "7", "channel": "x", "settings": {}}]', "/0/id must be a positive integer"),
        ('[{"id": 7, "channel": "fax", "settings": {}}]', '/0/channel "fax" is not a channel'),
        ('[{"id": 7, "channel": "x", "settings": {"user_id": "1"}}]',
         "/0/settings/consumer_secret is missing"),
        ('[{"id": 7, "channel": "email", "settings": {}}]', "no inbox the simulator can send to"),
        ('[{"id": 7, "channel": "telegram", "settings": {"secret_token": "s"}},'
         ' {"id": 7, "channel": "telegram", "settings": {"secret_token": "s"}}]',
         "/1/id 7 is listed twice"),
    ]
    path = os.path.join(S.dir, "bad.json")
    for text, want in cases:
        with open(path, "w") as f:
            f.write(text)
        p = sim("--url", url, "--inboxes", path, "--count", "1")
        assert p.returncode == 1, (text, p.returncode, p.stderr)
        assert want in p.stderr and path in p.stderr, (text, p.stderr)
        assert "Sanitizer" not in p.stderr, p.stderr
    p = sim("--url", url, "--inboxes", os.path.join(S.dir, "missing.json"))
    assert p.returncode == 1 and "missing.json" in p.stderr, p.stderr
    p = sim("--url", url)
    assert p.returncode == 2 and "usage" in p.stderr, p.stderr
    p = sim("--url", url, "--inboxes", CTX["inboxes"], "--rate", "fast")
    assert p.returncode == 2 and "--rate" in p.stderr, p.stderr


def test_sigint_ends_an_endless_run_with_a_summary():
    proc = subprocess.Popen([BIN, "simulate", "--url", CTX["url"], "--inboxes", CTX["inboxes"],
                             "--rate", "20/s"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=S.env)
    time.sleep(1.5)
    proc.send_signal(2)
    out, err = proc.communicate(timeout=15)
    assert proc.returncode == 0, (out, err)
    assert "done:" in out and " 2xx" in out, out


try:
    setup()
    run([test_demo_creates_every_channel_and_is_idempotent,
         test_simulate_traffic_is_accepted_everywhere,
         test_repeat_writer_contacts_merge_across_channels,
         test_public_card_numbers_are_detected,
         test_replies_reach_the_fake_platform,
         test_malformed_inboxes_file_is_refused_clearly,
         test_sigint_ends_an_endless_run_with_a_summary])
finally:
    S.cleanup()
