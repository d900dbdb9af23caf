"""The breached-password list as an operator sets it up: `coffer serve` opens
the file named by breached_passwords_file at start and refuses a wrong one with a clear message,
and SIGHUP re-opens it — keeping the old list when the new one is wrong. (Its use at login and
when setting a password arrives with the identity endpoints.)"""
import hashlib
import signal
import time

from conftest import assert_user_error, finish_server, run_coffer, set_conf, start_server


def pwned_file(path, passwords, crlf=True):
    end = "\r\n" if crlf else "\n"
    lines = sorted(hashlib.sha1(p.encode()).hexdigest().upper() + f":{i + 1}"
                   for i, p in enumerate(passwords))
    path.write_text(end.join(lines) + end)
    return path


def wait_for_event(srv, event, pred, timeout=10):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for rec in srv.log_records():
            if rec.get("event") == event and pred(rec):
                return rec
        time.sleep(0.05)
    raise AssertionError(f"no {event!r} log line; log:\n{srv.log_text()[-3000:]}")


def test_wrong_or_missing_list_stops_serve(cloned_deployment, tmp_path):
    dep = cloned_deployment
    bad = tmp_path / "not-pwned.txt"
    bad.write_text("hello world\n")
    set_conf(dep.conf, "breached_passwords_file", bad)
    proc = run_coffer("serve", "--data", dep.data_dir)
    assert_user_error(proc)
    assert "is not a Pwned Passwords list" in proc.stderr
    set_conf(dep.conf, "breached_passwords_file", tmp_path / "missing.txt")
    proc = run_coffer("serve", "--data", dep.data_dir)
    assert_user_error(proc)
    assert "cannot open breached_passwords_file" in proc.stderr


def test_sighup_reopens_and_keeps_the_old_list_on_error(cloned_deployment, tmp_path):
    dep = cloned_deployment
    listed = pwned_file(tmp_path / "pwned.txt", ["hunter2", "letmein"])
    set_conf(dep.conf, "breached_passwords_file", listed)
    srv = start_server(dep)
    try:
        # A good replacement, put in place with rename as the header of breached.h asks.
        fresh = pwned_file(tmp_path / "pwned.new", ["hunter2", "letmein", "tr0ub4dor"], crlf=False)
        fresh.rename(listed)
        srv.proc.send_signal(signal.SIGHUP)
        wait_for_event(srv, "reload", lambda r: r.get("level") == "info")
        # A broken replacement: the error is logged and the server keeps serving.
        broken = tmp_path / "broken.new"
        broken.write_text("not a list\n")
        broken.rename(listed)
        srv.proc.send_signal(signal.SIGHUP)
        rec = wait_for_event(srv, "reload", lambda r: r.get("level") == "error")
        assert rec["msg"] == "not a Pwned Passwords list"
        assert "stays in use" in rec["kept"]
        assert srv.get("/healthz").status_code == 200
    finally:
        finish_server(srv)
