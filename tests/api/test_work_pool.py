"""Requests that write run on the work pool, not on the connection's I/O
thread: with one I/O thread (--threads 1), a write waiting for the database
(here: another process holds SQLite's write lock) does not stall a read on
another connection, the write is answered once the lock is free and stored
once; a write that finds the lock held past the busy timeout is a 503 with
Retry-After that stores nothing, and its redelivery lands once; a server
stopped while a write waits answers it before it exits."""
import signal
import sqlite3
import threading
import time

from harness import Server, assert_problem, create_api_inbox, post_signed, run, start_as_admin

S = Server("--threads", "1")
SECRET = "pool-hmac-secret-0123456789"
C = {}
INBOX = None


def deliver(msg_id, out):
    payload = {"id": msg_id, "contact": {"id": "c-" + msg_id, "name": "Pat " + msg_id},
               "body": "Where is my parcel?", "visibility": "private"}
    try:
        r = post_signed(S, INBOX, SECRET, payload)
        out["status"] = r.status
        out["json"] = r.json
    except OSError as e:  # connection reset: the answer was lost
        out["error"] = repr(e)
    out["at"] = time.time()


def messages_with(ext_id):
    db = sqlite3.connect(S.db)
    n = db.execute("SELECT count(*) FROM messages WHERE external_id = ?", (ext_id,)).fetchone()[0]
    db.close()
    return n


def hold_write_lock():
    db = sqlite3.connect(S.db, timeout=10, isolation_level=None)
    db.execute("BEGIN IMMEDIATE")
    return db


def setup():
    global INBOX
    C["admin"] = start_as_admin(S)
    INBOX = create_api_inbox(C["admin"], "Pool", SECRET)


def test_waiting_write_does_not_stall_reads():
    lock = hold_write_lock()
    out = {}
    t = threading.Thread(target=deliver, args=("w-1", out))
    t.start()
    time.sleep(0.4)  # the write is now waiting for SQLite's lock inside the server
    assert t.is_alive(), out
    t0 = time.time()
    r = C["admin"].get("/api/v1/me")
    took = time.time() - t0
    assert r.status == 200, r
    # Answered while the write still waits: the one I/O thread is free.
    assert t.is_alive() and "status" not in out, (took, out)
    assert took < 1.0, took
    lock.execute("ROLLBACK")
    lock.close()
    t.join(10)
    assert out.get("status") == 201, out
    assert messages_with("w-1") == 1
    # The same message again: stored once, answered as a duplicate.
    again = {}
    deliver("w-1", again)
    assert again["status"] == 200 and again["json"]["duplicate"] is True, again
    assert messages_with("w-1") == 1


def test_writes_from_many_connections_all_land():
    outs = [{} for _ in range(24)]
    ts = [threading.Thread(target=deliver, args=(f"m-{i}", outs[i])) for i in range(24)]
    for t in ts:
        t.start()
    for t in ts:
        t.join(20)
    assert all(o.get("status") == 201 for o in outs), outs
    assert sum(messages_with(f"m-{i}") for i in range(24)) == 24


def test_lock_held_past_the_busy_timeout_is_503_and_stores_nothing():
    lock = hold_write_lock()
    out = {}
    t0 = time.time()
    deliver("b-1", out)  # waits the store's busy timeout (5 s), then gives up
    assert time.time() - t0 >= 4.5, out
    lock.execute("ROLLBACK")
    lock.close()
    assert out.get("status") == 503, out
    assert out["json"]["type"].endswith("/problems/busy"), out
    assert messages_with("b-1") == 0
    # The same request again, as the platform redelivers it: stored once.
    again = {}
    deliver("b-1", again)
    assert again.get("status") == 201, again
    assert messages_with("b-1") == 1


def test_busy_problem_shape():
    lock = hold_write_lock()
    try:
        r = C["admin"].post("/api/v1/labels", {"name": "busy-label"})
    finally:
        lock.execute("ROLLBACK")
        lock.close()
    assert_problem(r, 503)
    assert r.header("retry-after") == "2", r.headers
    assert C["admin"].post("/api/v1/labels", {"name": "busy-label"}).status == 201


def test_stop_answers_the_waiting_write():
    lock = hold_write_lock()
    out = {}
    t = threading.Thread(target=deliver, args=("s-1", out))
    t.start()
    time.sleep(0.4)
    assert t.is_alive(), out
    S.proc.send_signal(signal.SIGTERM)
    time.sleep(0.3)
    lock.execute("ROLLBACK")
    lock.close()
    t.join(15)
    assert out.get("status") == 201, out
    S.proc.wait(20)
    assert S.proc.returncode == 0, S.read_log()[-3000:]
    assert messages_with("s-1") == 1


try:
    setup()
    run([test_waiting_write_does_not_stall_reads, test_writes_from_many_connections_all_land,
         test_lock_held_past_the_busy_timeout_is_503_and_stores_nothing, test_busy_problem_shape,
         test_stop_answers_the_waiting_write])
finally:
    S.cleanup()
