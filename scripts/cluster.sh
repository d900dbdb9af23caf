#!/bin/sh
# cluster.sh up|down|status|failover|start [DIR] — a highly available coffer on this machine (etcd,
# three PostgreSQL under Patroni, HAProxy, an S3 store, two coffer nodes). The logic is in
# cluster.py; docs/DEPLOY.md describes it. cluster.sh backup|restore DIR …: its backups
# (cluster_backup.py; DEPLOY.md, "Backups").
exec /usr/bin/python3 "$(dirname "$0")/cluster.py" "$@"
