"""coffer's own backups on a PostgreSQL deployment: they copy the SQLite store, so `coffer
backup create` refuses with one line pointing at the database's own tools, the server makes no
nightly snapshot, and the sysadmins' backup page says why (docs/OPERATIONS.md, "Backups" under
"On PostgreSQL").

Runs in the PostgreSQL e2e suite (COFFER_TEST_DB=postgresql)."""

import pytest

from conftest import ON_PG, assert_user_error, run_coffer
from content_world import ContentWorld

pytestmark = pytest.mark.skipif(not ON_PG, reason="about a PostgreSQL deployment "
                                "(runs in the e2e (PostgreSQL) suite)")


def test_backups_are_the_databases_on_postgresql(tmp_path):
    world = ContentWorld(tmp_path)
    try:
        p = run_coffer("backup", "create", "--data", world.data_dir)
        assert_user_error(p)
        assert "PostgreSQL" in p.stderr and "pgBackRest" in p.stderr, p.stderr
        assert not (world.data_dir / "backups").exists()
        for method in ("GET", "POST"):
            r = world.admin.client.request(method, "/api/v1/admin/backups")
            assert r.status_code == 404, r.text
            assert "pgBackRest" in r.json()["error"]["message"]
        assert not any('"event":"backup"' in l for l in world.srv.log_lines())
    finally:
        world.close()
