"""Migrations run twice, a newer database is refused, `audit verify` catches
one altered byte, and the CLI explains itself."""
import os
import sqlite3
import subprocess

from harness import BIN, Server, run

S = Server("--secret-key", "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff")


def test_init_serve_restart_migrates_once():
    S.init()
    S.start()
    S.client().login("admin@acme.test", "admin-password-1")
    S.stop()
    S.start()  # second start: migrations already applied
    db = sqlite3.connect(S.db)
    rows = db.execute("SELECT version FROM schema_migrations").fetchall()
    db.close()
    src = os.environ.get("PARLEY_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "../.."))
    known = sorted(int(f[:3]) for f in os.listdir(os.path.join(src, "src/store/migrations"))
                   if f.endswith(".sql"))
    assert [r[0] for r in rows] == known, (rows, known)
    S.stop()


def test_audit_verify_ok_then_catches_one_byte():
    p = S.cli("audit", "verify", "--db", S.db)
    assert p.returncode == 0 and "chain intact" in p.stdout, p.stdout
    db = sqlite3.connect(S.db)
    n = db.execute("SELECT count(*) FROM events").fetchone()[0]
    assert n >= 3
    payload = db.execute("SELECT payload FROM events WHERE id = 2").fetchone()[0]
    altered = payload.replace("admin", "admiN", 1)
    assert altered != payload
    db.execute("UPDATE events SET payload = ? WHERE id = 2", (altered,))
    db.commit()
    db.close()
    p = S.cli("audit", "verify", "--db", S.db, check=False)
    assert p.returncode == 1
    assert "event 2" in p.stdout and "TAMPERED" in p.stdout, p.stdout
    db = sqlite3.connect(S.db)
    db.execute("UPDATE events SET payload = ? WHERE id = 2", (payload,))
    db.execute("DELETE FROM events WHERE id = 2")
    db.commit()
    db.close()
    p = S.cli("audit", "verify", "--db", S.db, check=False)
    assert p.returncode == 1 and "event 3" in p.stdout, p.stdout


def test_newer_database_is_refused():
    db = sqlite3.connect(S.db)
    db.execute("INSERT INTO schema_migrations VALUES (99, '099_future.sql', 0)")
    db.commit()
    db.close()
    p = subprocess.run([BIN, "serve", "--db", S.db, "--port", "0"], capture_output=True,
                       text=True, timeout=30)
    assert p.returncode == 1
    assert "newer Parley" in p.stderr, p.stderr
    db = sqlite3.connect(S.db)
    db.execute("DELETE FROM schema_migrations WHERE version = 99")
    db.commit()
    db.close()


def test_print_config_masks_secrets():
    p = S.cli("serve", "--print-config", "--secret-key", "topsecretvalue", "--port", "9123")
    assert "secret-key = ********" in p.stdout and "topsecretvalue" not in p.stdout
    assert "port = 9123" in p.stdout
    env = dict(S.env, PARLEY_PORT="9555")
    out = subprocess.run([BIN, "serve", "--print-config"], capture_output=True, text=True,
                         env=env).stdout
    assert "port = 9555" in out
    bad = S.cli("serve", "--port", "notaport", check=False)
    assert bad.returncode == 2 and "port" in bad.stderr


def test_help_for_every_command():
    top = S.cli("--help").stdout
    for cmd in ("serve", "init", "user", "token", "audit", "version"):
        assert cmd in top
    for cmd in ("serve", "init", "user", "token", "audit"):
        p = S.cli(cmd, "--help")
        assert "usage: parley " + cmd in p.stdout, (cmd, p.stdout)
    assert S.cli("version").stdout.startswith("parley ")
    assert S.cli("frobnicate", check=False).returncode == 2


def test_cli_users_and_tokens():
    p = S.cli("user", "add", "--db", S.db, "--account", "1", "--email", "cli@acme.test",
              "--role", "agent", stdin="cli-password-123\n")
    assert "Created user" in p.stdout
    lst = S.cli("user", "list", "--db", S.db, "--account", "1").stdout
    assert "cli@acme.test" in lst and "agent" in lst
    tok = S.cli("token", "create", "--db", S.db, "--email", "cli@acme.test", "--name",
                "script").stdout.strip()
    assert tok.startswith("pk_")
    S.start()
    me = S.client(token=tok).get("/api/v1/me")
    assert me.status == 200 and me.json["email"] == "cli@acme.test"
    S.cli("user", "disable", "--db", S.db, "--email", "cli@acme.test")
    assert S.client(token=tok).get("/api/v1/me").status == 401
    S.stop()
    bad = S.cli("user", "add", "--db", S.db, "--account", "1", "--email", "x@acme.test",
                "--role", "wizard", stdin="cli-password-123\n", check=False)
    assert bad.returncode == 1 and "role" in bad.stderr


def test_init_generates_password_file():
    d = os.path.join(S.dir, "fresh")
    os.mkdir(d)
    pwfile = os.path.join(d, "initial-admin-password")
    db = os.path.join(d, "p.db")
    p = subprocess.run([BIN, "init", "--db", db, "--account", "Demo", "--admin", "a@demo.test",
                        "--password-file", pwfile, "--if-empty"], stdin=subprocess.DEVNULL,
                       capture_output=True, text=True, env=S.env)
    assert p.returncode == 0, p.stderr
    assert oct(os.stat(pwfile).st_mode & 0o777) == "0o600"
    email, pw = open(pwfile).read().split()
    assert email == "a@demo.test" and pw in p.stdout
    again = subprocess.run([BIN, "init", "--db", db, "--account", "Demo", "--admin",
                            "a@demo.test", "--if-empty"], stdin=subprocess.DEVNULL,
                           capture_output=True, text=True, env=S.env)
    assert again.returncode == 0 and again.stdout == ""
    # the server removes the file once that admin changes the password
    T = Server()
    T.db = db
    try:
        T.start()
        c = T.client()
        c.login(email, pw)
        assert c.post("/api/v1/me/password", {"current_password": pw,
                                               "new_password": "brand-new-password"}).status == 204
        assert not os.path.exists(pwfile)
    finally:
        T.cleanup()


try:
    run([test_init_serve_restart_migrates_once, test_audit_verify_ok_then_catches_one_byte,
         test_newer_database_is_refused, test_print_config_masks_secrets,
         test_help_for_every_command, test_cli_users_and_tokens, test_init_generates_password_file])
finally:
    S.cleanup()
