#!/usr/bin/env bash
# Installs Debian's PostgreSQL when missing, starts a cluster and makes the test role and
# database. Prints the connection URL on stdout (the last line), e.g.
#   EKORT_TEST_PG_URL=$(bash native/setup-postgres.sh)
# Idempotent: safe to run when everything is already there.
set -euo pipefail

ROLE=${EKORT_PG_ROLE:-ekort}
PASSWORD=${EKORT_PG_PASSWORD:-ekort-test}
DATABASE=${EKORT_PG_DATABASE:-ekort_test}

log() { echo "setup-postgres: $*" >&2; }
. "$(dirname "$0")/packages.sh"
# stdout carries only the URL: the installer's words go to stderr.
ensure_packages setup-postgres install postgresql >&2

read -r version cluster port status _ < <(pg_lsclusters --no-header | head -n 1) || true
if [ -z "${version:-}" ]; then
  version=$(ls /usr/lib/postgresql | sort -n | tail -n 1)
  log "creating cluster $version/main"
  as_root pg_createcluster "$version" main >&2
  read -r version cluster port status _ < <(pg_lsclusters --no-header | head -n 1)
fi
if [ "$status" != online ]; then
  log "starting cluster $version/$cluster on port $port"
  as_root pg_ctlcluster "$version" "$cluster" start >&2
fi

psql_admin() { as_root su postgres -c "psql -v ON_ERROR_STOP=1 -p $port -qAt $*"; }
for i in $(seq 1 50); do
  if psql_admin "-c 'select 1'" >/dev/null 2>&1; then break; fi
  [ "$i" = 50 ] && { log "the cluster does not answer"; exit 1; }
  sleep 0.2
done

if [ "$(psql_admin "-c \"select 1 from pg_roles where rolname='$ROLE'\"")" != 1 ]; then
  psql_admin "-c \"create role $ROLE login password '$PASSWORD'\"" >&2
fi
if [ "$(psql_admin "-c \"select 1 from pg_database where datname='$DATABASE'\"")" != 1 ]; then
  psql_admin "-c \"create database $DATABASE owner $ROLE\"" >&2
fi
# Test runs make and drop schemas of their own inside this database.
echo "postgres://$ROLE:$PASSWORD@127.0.0.1:$port/$DATABASE"
