// Package pgtest runs real PostgreSQL for outlast's tests: a primary and a
// streaming replica on loopback, started and removed by the test, and the
// on_promote / on_demote hook scripts outlast runs against them.
//
// It exists for issue 17's integration test ("exactly one primary"): a
// 3-node outlast cluster fails a service over from a frozen primary to its
// replica through `pg_ctl promote`, while a checker asks both servers
// pg_is_in_recovery() every 50 ms. The package gives that test what it
// needs and nothing more:
//
//   - StartPair (or StartPairOn, one loopback address per server): run
//     initdb and start a primary, pg_basebackup -R a replica from it,
//     start it, and wait until it streams. Everything is stopped and
//     removed at t.Cleanup, even a frozen server, and nothing is left
//     running (postgres also dies with the test binary: the postmaster is
//     started with a parent-death signal).
//   - Server: InRecovery, Writable and Timeline over one kept pgx
//     connection with a short connect timeout; Freeze and Thaw
//     (SIGSTOP/SIGCONT to the postmaster and all its children, so the
//     server really stops answering); Stop.
//   - WriteHooks: executable shell scripts promote-NAME and demote-NAME,
//     idempotent as outlast requires of hooks (a new leader reruns an
//     interrupted hook with the same epoch): promote exits 0 at once when
//     the server is no longer a standby; demote kills the server for good,
//     frozen or not, and exits 0 when it is already gone. Each logs one
//     line per run ("promote epoch=N"), which HookLog reads back.
//
// PostgreSQL comes from Debian (apt-get install postgresql): the newest
// /usr/lib/postgresql/*/bin. Where it is missing, StartPair skips the test.
// initdb and postgres refuse to run as root, so under root (as in CI) every
// PostgreSQL program runs as the "postgres" system user and the data
// directories belong to it; otherwise they run as the current user.
//
// The package is for tests only: nothing outlast serves may import it.
package pgtest
