package sdnotify

import (
	"context"
	"log/slog"
	"net"
	"sync"
	"time"
)

// askEvery is how often Watch asks the DNS listener while it waits.
const askEvery = 100 * time.Millisecond

// Lifecycle reports one service's life to systemd: READY=1 once its DNS
// listener answers, RELOADING=1 and READY=1 around each reload, STOPPING=1
// at the end. Its methods may be called from any goroutine.
type Lifecycle struct {
	n      Notifier
	log    *slog.Logger
	cancel context.CancelFunc
	done   chan struct{}

	mu    sync.Mutex // guards ready, held by Watch while it sends READY=1
	ready bool       // READY=1 has been sent: Reload's RELOADING=1 comes after it
}

// Watch starts waiting for the DNS listener at addr to answer and reports
// READY=1 when it does. With a disabled Notifier it only keeps the calls
// cheap no-ops. The wait has no bound of its own: a member answers after
// cluster.stale_after at the latest, and systemd's TimeoutStartSec bounds
// it from outside; Stopping ends it.
func Watch(n Notifier, addr net.Addr, log *slog.Logger) *Lifecycle {
	ctx, cancel := context.WithCancel(context.Background())
	l := &Lifecycle{n: n, log: log, cancel: cancel, done: make(chan struct{})}
	if !n.Enabled() {
		close(l.done)
		return l
	}
	go func() {
		defer close(l.done)
		if WaitAnswering(ctx, addr, askEvery) != nil {
			return // stopping before the node answered
		}
		l.mu.Lock()
		defer l.mu.Unlock()
		l.ready = true
		l.send(Ready)
	}()
	return l
}

// Reload runs reload between RELOADING=1 and READY=1. Before the service
// was first ready it only runs reload: READY=1 is still Watch's to send.
func (l *Lifecycle) Reload(reload func()) {
	l.mu.Lock()
	ready := l.ready
	l.mu.Unlock()
	if ready {
		l.send(Reloading()...)
	}
	reload() // a failed reload leaves the previous configuration serving: ready again
	if ready {
		l.send(Ready)
	}
}

// Stopping ends the wait for readiness and reports STOPPING=1.
func (l *Lifecycle) Stopping() {
	l.cancel()
	<-l.done
	l.send(Stopping)
}

func (l *Lifecycle) send(states ...string) {
	if err := l.n.Notify(states...); err != nil {
		l.log.Warn("cannot tell systemd the service's state", "state", states[0], "err", err)
	}
}
