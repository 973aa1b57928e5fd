"""Understanding through the real interfaces: POST /api/v1/analyze and
`parley sentiment` (exact VADER parity on the whole dev corpus)."""
import os
import subprocess

from harness import BIN, Server, assert_problem, run

S = Server()
SRC = os.environ.get("PARLEY_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "../.."))
A = None


def setup():
    global A
    S.init()
    S.start()
    A = S.client()
    A.login("admin@acme.test", "admin-password-1")


def test_sentiment_cli_matches_reference_on_every_line():
    rows = [l.rstrip("\n").split("\t") for l in
            open(os.path.join(SRC, "tests/data/vader_dev_corpus.tsv"), encoding="utf-8")]
    texts = "\n".join(r[0] for r in rows) + "\n"
    p = subprocess.run([BIN, "sentiment"], input=texts.encode(), capture_output=True, timeout=120)
    assert p.returncode == 0, p.stderr
    out = p.stdout.decode().splitlines()
    assert len(out) == len(rows) == 3000
    bad = 0
    for r, o in zip(rows, out):
        want = '{"neg":%s,"neu":%s,"pos":%s,"compound":%s}' % tuple(r[1:5])
        if o != want:
            bad += 1
            if bad < 5:
                print("mismatch:", r[0], o, want)
    assert bad == 0, f"{bad} lines differ"


def test_sentiment_cli_bad_lines():
    p = subprocess.run([BIN, "sentiment"], input=b"good\n\xc3\x28\n\n", capture_output=True)
    lines = p.stdout.decode().splitlines()
    assert lines[1] == '{"error":"invalid UTF-8","line":2}', lines
    assert lines[2] == '{"neg":0.0,"neu":0.0,"pos":0.0,"compound":0.0}'


def test_analyze_priority_explained():
    r = A.post("/api/v1/analyze", {
        "text": "@AcmeAir you lost my bag and nobody answers. I'm talking to my lawyer "
                "and will sue you for this.", "visibility": "public", "followers": 76000})
    assert r.status == 200, r
    j = r.json
    assert j["sentiment"]["compound"] < -0.05
    labels = {l["label"] for l in j["triage"]["labels"]}
    assert "risk" in labels and "complaint" in labels, labels
    assert j["priority"]["level"] == "critical", j["priority"]
    expl = j["priority"]["explanation"]
    assert "negative" in expl and "public" in expl and "76k followers" in expl, expl


def test_analyze_blocks_card_in_public_reply():
    text = "Sure, we refunded card 4111 1111 1111 1111 today!"
    r = A.post("/api/v1/analyze", {"text": text, "visibility": "public"})
    j = r.json
    assert j["pii"] == [{"kind": "card", "start": 23, "end": 42}], j["pii"]
    assert text.encode()[23:42] == b"4111 1111 1111 1111"
    assert j["blocked"] is True
    assert any(v["rule"] == "pii_public" and v["severity"] == "error" for v in j["voice"])
    r = A.post("/api/v1/analyze", {"text": text, "visibility": "private"})
    assert r.json["blocked"] is False


def test_analyze_bad_input():
    assert_problem(A.post("/api/v1/analyze", {"visibility": "public"}), 422, "/text")
    assert_problem(A.post("/api/v1/analyze", {"text": 5}), 422, "/text")
    assert_problem(A.post("/api/v1/analyze", {"text": "x", "visibility": "loud"}), 422,
                   "/visibility")
    assert_problem(S.client().post("/api/v1/analyze", {"text": "x"}), 401)


try:
    setup()
    run([test_sentiment_cli_matches_reference_on_every_line, test_sentiment_cli_bad_lines,
         test_analyze_priority_explained, test_analyze_blocks_card_in_public_reply,
         test_analyze_bad_input])
finally:
    S.cleanup()
