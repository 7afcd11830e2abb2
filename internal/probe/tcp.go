package probe

import (
	"context"
	"time"

	"outlast/internal/config"
	"outlast/internal/model"
)

// TCP probes t by opening a TCP connection and closing it at once: the
// endpoint is up when something accepts on the port.
func TCP(ctx context.Context, t Target, c config.Check) model.Result {
	ctx, cancel := withTimeout(ctx, c)
	defer cancel()
	start := time.Now()

	conn, err := t.dialer("tcp").DialContext(ctx, "tcp", t.AddrPort().String())
	if err != nil {
		return failedErr(start, err, c)
	}
	res := passed(start)
	conn.Close()
	return res
}
