package pgtest

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// The checks below share one connection per Server, kept between calls
// (the checker asks every 50 ms) and dropped on any error, so the next
// call reconnects: a server that was frozen or restarted is seen afresh.
// Calls on one Server take turns; each gives up when its ctx ends.

// InRecovery asks the server pg_is_in_recovery(): true on a standby.
func (s *Server) InRecovery(ctx context.Context) (bool, error) {
	var v bool
	err := s.queryRow(ctx, "SELECT pg_is_in_recovery()", &v)
	return v, err
}

// Writable says the server answers and is not in recovery: a primary. An
// unreachable server is not writable, and the error says why.
func (s *Server) Writable(ctx context.Context) (bool, error) {
	rec, err := s.InRecovery(ctx)
	if err != nil {
		return false, err
	}
	return !rec, nil
}

// timelineSQL reads the server's timeline. pg_control_checkpoint() is the
// source on a standby, but after a promotion it lags until the next
// checkpoint completes; a primary's current WAL file name starts with its
// timeline in hex and is right at once.
const timelineSQL = `SELECT CASE WHEN pg_is_in_recovery()
	THEN (SELECT timeline_id FROM pg_control_checkpoint())::bigint
	ELSE ('x' || lpad(substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8), 16, '0'))::bit(64)::bigint
	END`

// Timeline returns the server's timeline: 1 after initdb, one more for
// every promotion, so "still 2" after a rerun hook proves one promotion.
func (s *Server) Timeline(ctx context.Context) (uint32, error) {
	var tl int64
	if err := s.queryRow(ctx, timelineSQL, &tl); err != nil {
		return 0, err
	}
	if tl < 0 || tl > 1<<32-1 {
		return 0, fmt.Errorf("pgtest: %s: timeline %d out of range", s.Name, tl)
	}
	return uint32(tl), nil
}

// Exec runs one SQL statement (for a test's own tables and rows).
func (s *Server) Exec(ctx context.Context, sql string) error {
	return s.withConn(ctx, func(c *pgx.Conn) error {
		_, err := c.Exec(ctx, sql)
		return err
	})
}

// queryRow runs a query returning one row and scans it into dest.
func (s *Server) queryRow(ctx context.Context, sql string, dest ...any) error {
	return s.withConn(ctx, func(c *pgx.Conn) error {
		return c.QueryRow(ctx, sql).Scan(dest...)
	})
}

// withConn runs f on the kept connection, connecting first if there is
// none, and drops the connection when f fails.
func (s *Server) withConn(ctx context.Context, f func(*pgx.Conn) error) error {
	select {
	case s.sem <- struct{}{}:
	case <-ctx.Done():
		return fmt.Errorf("pgtest: %s: waiting for another check to finish: %w", s.Name, ctx.Err())
	}
	defer func() { <-s.sem }()
	if s.conn == nil {
		c, err := pgx.ConnectConfig(ctx, s.connCfg)
		if err != nil {
			return fmt.Errorf("pgtest: %s: connecting to %s: %w", s.Name, s.Addr(), err)
		}
		s.conn = c
	}
	if err := f(s.conn); err != nil {
		s.dropConn()
		return fmt.Errorf("pgtest: %s (%s): %w", s.Name, s.Addr(), err)
	}
	return nil
}

// dropConn closes the kept connection; the caller holds sem. A frozen
// server never reads the goodbye, so the close is bounded.
func (s *Server) dropConn() {
	if s.conn == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_ = s.conn.Close(ctx)
	s.conn = nil
}

// closeConn waits for a running check to end (Stop has killed the server,
// so it ends quickly) and closes the connection.
func (s *Server) closeConn() {
	s.sem <- struct{}{}
	defer func() { <-s.sem }()
	s.dropConn()
}
