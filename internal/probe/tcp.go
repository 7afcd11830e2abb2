package probe

import (
	"context"
	"net/netip"
	"time"

	"outlast/internal/config"
	"outlast/internal/model"
)

// TCP probes t by opening a TCP connection and closing it at once: the
// endpoint is up when something accepts on the port. A hostname target is up
// when one of its addresses (at most MaxAddrs) accepts.
func TCP(ctx context.Context, t Target, c config.Check) model.Result {
	if res, ok := t.noAddress(); ok {
		return res
	}
	ctx, cancel := withTimeout(ctx, c)
	defer cancel()
	start := time.Now()

	conn, _, err := dialAny(ctx, t)
	if err != nil {
		return t.label(failedErr(start, err, c), netip.AddrPort{})
	}
	res := passed(start)
	conn.Close()
	return res
}
