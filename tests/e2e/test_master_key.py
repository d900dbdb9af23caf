"""The master key sealed with a passphrase: init --passphrase-file writes the sealed form, and
serve starts only with the right passphrase, with a clear one-line message otherwise."""

from conftest import (assert_user_error, finish_server, free_port, run_coffer, start_server,
                      Deployment)


def init_sealed(tmp_path, passphrase=b"correct horse battery staple\n"):
    pfile = tmp_path / "pass"
    pfile.write_bytes(passphrase)
    pfile.chmod(0o600)
    port = free_port()
    data = tmp_path / "data"
    proc = run_coffer("init", "--data", data, "--admin-email", "admin@example.test",
                      "--listen", f"127.0.0.1:{port}", "--passphrase-file", pfile)
    assert proc.returncode == 0, proc.stderr
    return Deployment(data, port, proc), pfile


def test_sealed_key_file_holds_no_plain_key(tmp_path):
    dep, _ = init_sealed(tmp_path)
    raw = dep.master_key.read_bytes()
    assert len(raw) == 99  # header, cost, salt, nonce, one sealed key with its version, tag
    assert raw[:10] == b"COFFERMK\x02\x01"
    assert oct(dep.master_key.stat().st_mode & 0o777) == "0o600"


def test_serve_needs_the_right_passphrase(tmp_path):
    dep, pfile = init_sealed(tmp_path)
    missing = run_coffer("serve", "--data", dep.data_dir)
    assert_user_error(missing)
    assert "passphrase" in missing.stderr

    wrong = tmp_path / "wrong"
    wrong.write_bytes(b"incorrect horse\n")
    bad = run_coffer("serve", "--data", dep.data_dir, "--passphrase-file", wrong)
    assert_user_error(bad)
    assert "wrong passphrase" in bad.stderr

    srv = start_server(dep, extra_args=("--passphrase-file", str(pfile)))
    try:
        assert srv.get("/healthz").json() == {"status": "ok"}
    finally:
        finish_server(srv)


def test_passphrase_for_unsealed_key_is_refused(tmp_path, deployment):
    pfile = tmp_path / "pass"
    pfile.write_bytes(b"anything\n")
    proc = run_coffer("serve", "--data", deployment.data_dir, "--passphrase-file", pfile)
    assert_user_error(proc)
    assert "not sealed" in proc.stderr


def test_empty_or_missing_passphrase_file_refused(tmp_path):
    empty = tmp_path / "empty"
    empty.write_bytes(b"\n")
    for pfile in (empty, tmp_path / "absent"):
        proc = run_coffer("init", "--data", tmp_path / "d", "--admin-email", "a@example.test",
                          "--passphrase-file", pfile)
        assert_user_error(proc)
        assert not (tmp_path / "d").exists()


def test_damaged_or_exposed_key_stops_serve(cloned_deployment):
    key = cloned_deployment.master_key
    key.chmod(0o644)
    proc = run_coffer("serve", "--data", cloned_deployment.data_dir)
    assert_user_error(proc)
    assert "readable by others" in proc.stderr
    key.chmod(0o600)
    key.write_bytes(key.read_bytes()[:-1])
    proc = run_coffer("serve", "--data", cloned_deployment.data_dir)
    assert_user_error(proc)
    assert "damaged" in proc.stderr
