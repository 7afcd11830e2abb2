package dnsserver

import (
	"reflect"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// TestConcurrentQueriesWhileSwapping queries a real server from many
// goroutines while another swaps snapshots. Run under -race it shows the
// query path shares snapshots safely; comparing each snapshot with an
// identically built twin afterwards shows no query wrote into shared data
// (rotation and truncation work on copies).
func TestConcurrentQueriesWhileSwapping(t *testing.T) {
	answersB := testAnswers()
	answersB[0].Addrs = addrs("203.0.113.1")
	snapA, twinA := testSnapshot(t), testSnapshot(t)
	snapB, errB := NewSnapshot(testZones(), answersB, Static{})
	twinB, errTwin := NewSnapshot(testZones(), answersB, Static{})
	if errB != nil || errTwin != nil {
		t.Fatal(errB, errTwin)
	}
	ts := startServer(t, snapA, Options{})

	var stop atomic.Bool
	var swapper sync.WaitGroup
	swapper.Go(func() {
		for i := 0; !stop.Load(); i++ {
			ts.Swap([]*Snapshot{snapA, snapB}[i%2])
			runtime.Gosched()
		}
	})
	const workers, perWorker = 8, 100
	valid := map[string]bool{"192.0.2.1": true, "203.0.113.1": true}
	var queriers sync.WaitGroup
	for w := range workers {
		queriers.Go(func() {
			for i := range perWorker {
				q := []*dns.Msg{question("www.example.test.", dns.TypeA), question("multi.example.test.", dns.TypeA),
					question("big.example.test.", dns.TypeAAAA), question("weighted.example.test.", dns.TypeA)}[i%4]
				network := networks[(w+i)%2]
				c := &dns.Client{Net: network, Timeout: 5 * time.Second}
				r, _, err := c.Exchange(q, ts.addr(network))
				if err != nil {
					t.Errorf("%s query %d of worker %d: %v", network, i, w, err)
					return
				}
				if q.Question[0].Name == "www.example.test." &&
					(len(r.Answer) != 1 || !valid[r.Answer[0].(*dns.A).A.String()]) {
					t.Errorf("answer %v is from neither snapshot", r.Answer)
				}
			}
		})
	}
	queriers.Wait()
	stop.Store(true)
	swapper.Wait()

	if !reflect.DeepEqual(snapA, twinA) || !reflect.DeepEqual(snapB, twinB) {
		t.Errorf("a snapshot changed while serving queries")
	}
}
