#!/usr/bin/env python3
"""messenger_bodies.py - writes N signed Messenger webhook requests for bench/messenger.lua.

usage: messenger_bodies.py N APP_SECRET PAGE_ID CORPUS.tsv > bodies.tsv

Each line: "sha256=<hex HMAC-SHA256 of the body>\t<body>", the body a Graph API
"page" webhook with one messaging event (a new mid, a new customer PSID) whose
text comes from the corpus, as Meta sends them (docs: Webhooks for Messenger
Platform, X-Hub-Signature-256)."""
import hashlib
import hmac
import json
import sys

n, secret, page = int(sys.argv[1]), sys.argv[2].encode(), sys.argv[3]
texts = []
with open(sys.argv[4], encoding="utf-8") as f:
    for line in f:
        parts = line.rstrip("\n").split("\t")
        if parts and parts[0].strip():
            texts.append(parts[0].strip())  # the corpus: text, then its scores
out = sys.stdout
for i in range(n):
    body = json.dumps({"object": "page", "entry": [{
        "id": page, "time": 1764000000000 + i,
        "messaging": [{"sender": {"id": str(7100000000000000 + i)}, "recipient": {"id": page},
                       "timestamp": 1764000000000 + i,
                       "message": {"mid": f"m_bench_{i}", "text": texts[i % len(texts)]}}]}]},
        separators=(",", ":"), ensure_ascii=False)
    sig = hmac.new(secret, body.encode(), hashlib.sha256).hexdigest()
    out.write(f"sha256={sig}\t{body}\n")
