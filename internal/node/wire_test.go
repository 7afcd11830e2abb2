package node

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"outlast/internal/model"
)

// TestBatchRoundTrip: what the leader rebuilds from a batch is what the
// follower observed, on the leader's clock, to the millisecond.
func TestBatchRoundTrip(t *testing.T) {
	sent := time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)
	expiry := time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
	obs := []model.Observation{
		{Vantage: "n2", Endpoint: "use1", At: sent.Add(-120 * time.Millisecond),
			Result: model.Result{Up: true, Reason: model.ReasonOK, Latency: 812 * time.Microsecond}},
		{Vantage: "n2", Endpoint: "usw2", At: sent.Add(-1 * time.Second),
			Result: model.Result{Reason: model.ReasonTimeout, Latency: time.Second, Detail: "no answer within 1s"}},
		{Vantage: "n2", Endpoint: "gcp", At: sent,
			Result: model.Result{Up: true, Reason: model.ReasonOK, Latency: 3 * time.Millisecond, Warning: "certificate expires in 9 days", CertExpiry: expiry}},
	}
	data, err := json.Marshal(encodeBatch("n2", sent, obs))
	if err != nil {
		t.Fatal(err)
	}
	var b remoteBatch
	if err := json.Unmarshal(data, &b); err != nil {
		t.Fatal(err)
	}
	skew := 5 * time.Second // the leader's clock runs 5 s ahead
	for i, w := range b.Observations {
		got := w.observation("n2", sent.Add(skew))
		want := obs[i]
		want.At = want.At.Add(skew)
		if !reflect.DeepEqual(got, want) {
			t.Errorf("observation %d:\n got %+v\nwant %+v", i, got, want)
		}
	}
	one, _ := json.Marshal(encodeBatch("n2", sent, obs[:1]).Observations[0])
	if len(one) > 50 {
		t.Errorf("a passing observation takes %d bytes on the wire (%s); the batches are most of the cluster's traffic", len(one), one)
	}
	t.Logf("a passing observation: %s (%d bytes)", one, len(one))
}
