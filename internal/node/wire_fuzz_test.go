package node

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"outlast/internal/errtest"
	"outlast/internal/model"
)

// FuzzDecodeBatch feeds observation batches, as any member may post them to
// the leader, to their decoder: no panic; what it accepts is within the
// bounds, rebuilds observations near the receiver's clock that encode as
// JSON (the status pages show them), and survives a round trip.
func FuzzDecodeBatch(f *testing.F) {
	sent := time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)
	good, _ := json.Marshal(encodeBatch("n2", sent, []model.Observation{
		{Endpoint: "use1", At: sent.Add(-time.Second), Result: model.Result{Up: true, Reason: model.ReasonOK, Latency: time.Millisecond}},
		{Endpoint: "gcp", At: sent, Result: model.Result{Reason: model.ReasonTLS, Detail: "x509", CertExpiry: sent.Add(time.Hour)}},
	}))
	for _, seed := range []string{
		string(good),
		`{"from":"n2","obs":null}`,
		`{"obs":[{"e":"a","a":9223372036854775807}]}`,
		`{"obs":[{"e":"a","c":-62135596801}]}`,
		`{"obs":[{"e":"a","c":253402300800}]}`,
		`{"obs":[{"e":"a","l":-1}]}`,
		`{"obs":[{}]}`,
		`{"obs":{}}`,
		`{"obs":[1,2]}`,
		`[`, ``,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		b, err := decodeBatch(data)
		if err != nil {
			return
		}
		if len(b.Observations) > maxBatchObservations {
			t.Fatalf("accepted %d observations", len(b.Observations))
		}
		at := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
		for i, w := range b.Observations {
			o := w.observation("n2", at)
			if d := o.At.Sub(at); d < -maxWireAge || d > maxWireAge {
				t.Fatalf("obs %d: rebuilt %v from %v, %v away", i, o.At, at, d)
			}
			if o.Result.Latency < 0 {
				t.Fatalf("obs %d: latency %v", i, o.Result.Latency)
			}
			if _, err := json.Marshal(o); err != nil {
				t.Fatalf("obs %d: %+v does not encode: %v", i, o, err)
			}
		}
		again, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		b2, err := decodeBatch(again)
		if err != nil {
			t.Fatalf("re-encoded %s: %v", again, err)
		}
		if !b2.SentAt.Equal(b.SentAt) {
			t.Fatalf("round trip: sent at %v, want %v", b2.SentAt, b.SentAt)
		}
		b2.SentAt = b.SentAt // the same instant, maybe in another zone
		if len(b.Observations) == 0 && len(b2.Observations) == 0 {
			b.Observations, b2.Observations = nil, nil
		}
		if !reflect.DeepEqual(b, b2) {
			t.Fatalf("round trip:\n got %+v\nwant %+v", b2, b)
		}
	})
}

// TestDecodeBatchBounds: a batch beyond a bound is refused with a reason,
// before the leader keeps any of it.
func TestDecodeBatchBounds(t *testing.T) {
	many := `{"obs":[` + strings.Repeat(`{"e":"a"},`, maxBatchObservations) + `{"e":"a"}]}`
	for _, tc := range []struct{ name, body, want string }{
		{"too many observations", many, "more than 50000 observations"},
		{"age that overflows", `{"obs":[{"e":"a","a":9223372036854775807}]}`, "age"},
		{"negative latency", `{"obs":[{"e":"a","l":-5}]}`, "latency"},
		{"expiry JSON cannot encode", `{"obs":[{"e":"a","c":253402300800}]}`, "certificate expiry"},
		{"long detail", `{"obs":[{"e":"a","d":"` + strings.Repeat("x", maxWireString+1) + `"}]}`, "longer than"},
		{"no endpoint", `{"obs":[{"u":true}]}`, "no endpoint"},
		{"not a list", `{"obs":{"e":"a"}}`, "want a list"},
	} {
		_, err := decodeBatch([]byte(tc.body))
		if !errtest.WantMessage(t, err, tc.want) {
			t.Errorf("%s: the sender is not told why", tc.name)
		}
	}
	// A valid batch but for its size: only maxBatchBytes refuses it.
	if _, err := decodeBatch(append([]byte(`{"from":"n2","obs":[]}`), bytes.Repeat([]byte(" "), maxBatchBytes)...)); err == nil {
		t.Errorf("a body over %d bytes: accepted", maxBatchBytes)
	}
}
