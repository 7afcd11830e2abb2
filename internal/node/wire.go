package node

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"outlast/internal/model"
)

// The observation batches are most of the traffic between nodes: every
// follower reports every endpoint every interval (5 nodes × 1,000 endpoints
// is 4,000 observations a second into the leader). So a batch names its
// sender and time once, and each observation carries only what differs,
// with short keys and the usual values left out: 37 bytes for a passing
// probe (TestBatchRoundTrip logs it), where the plain encoding of
// model.Observation took about 190 (the cluster bench's 776 KB/s into the
// leader over 4,000 observations a second).

// remoteBatch is what a follower sends the leader.
type remoteBatch struct {
	From string `json:"from"`
	// SentAt is the sender's clock when it sent the batch. The leader uses
	// it to move the observation times onto its own clock, so a node whose
	// clock is off neither looks stale nor outlives its staleness window.
	SentAt       time.Time        `json:"sent_at"`
	Observations wireObservations `json:"obs"`
}

// A batch comes from another node; these bounds hold before the leader
// keeps any of it. A follower sends what its probes found in the last
// 250 ms, each endpoint at most a few times: a few thousand observations
// at most, each well under 1 KB (probes cut their details to 200 bytes).
const (
	// maxBatchBytes bounds a batch's body.
	maxBatchBytes = 16 << 20
	// maxBatchObservations bounds a batch's observations, counted before
	// each is decoded.
	maxBatchObservations = 50_000
	// maxWireString bounds each text of a batch: sender, endpoint, reason,
	// detail, warning.
	maxWireString = 1 << 10
	// maxWireAge bounds how long before the batch an observation may have
	// been made (either way: the sender's clock may step), so that the
	// time rebuilt from it neither overflows nor lands in another era.
	maxWireAge = 24 * time.Hour
	// maxWireLatency bounds a probe's latency.
	maxWireLatency = time.Hour
	// maxCertExpiry is the last second JSON can encode a time of
	// (9999-12-31T23:59:59Z): a later expiry would break every status page
	// that shows the observation.
	maxCertExpiry = 253402300799
)

// wireObservations is a batch's list of observations; decoding it stops
// at maxBatchObservations instead of allocating whatever a peer sent.
type wireObservations []wireObservation

// UnmarshalJSON implements json.Unmarshaler.
func (o *wireObservations) UnmarshalJSON(data []byte) error {
	if string(data) == "null" {
		*o = nil
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('[') {
		return errors.New("obs: want a list")
	}
	var out wireObservations
	for dec.More() {
		if len(out) == maxBatchObservations {
			return fmt.Errorf("obs: more than %d observations", maxBatchObservations)
		}
		var w wireObservation
		if err := dec.Decode(&w); err != nil {
			return fmt.Errorf("obs %d: %w", len(out), err)
		}
		out = append(out, w)
	}
	*o = out
	return nil
}

// decodeBatch decodes and checks a follower's batch, a body of at most
// maxBatchBytes.
func decodeBatch(data []byte) (remoteBatch, error) {
	var b remoteBatch
	if len(data) > maxBatchBytes {
		return b, fmt.Errorf("batch of %d bytes, at most %d taken", len(data), maxBatchBytes)
	}
	if err := json.Unmarshal(data, &b); err != nil {
		return remoteBatch{}, err
	}
	if len(b.From) > maxWireString {
		return remoteBatch{}, fmt.Errorf("from: longer than %d bytes", maxWireString)
	}
	for i, w := range b.Observations {
		if err := w.check(); err != nil {
			return remoteBatch{}, fmt.Errorf("obs %d: %w", i, err)
		}
	}
	return b, nil
}

// check says what in w is out of bounds.
func (w wireObservation) check() error {
	for _, s := range []string{w.Endpoint, string(w.Reason), w.Detail, w.Warning} {
		if len(s) > maxWireString {
			return fmt.Errorf("a text longer than %d bytes", maxWireString)
		}
	}
	switch {
	case w.Endpoint == "":
		return errors.New("no endpoint")
	case w.AgeMS < -maxWireAge.Milliseconds() || w.AgeMS > maxWireAge.Milliseconds():
		return fmt.Errorf("age %d ms beyond %v", w.AgeMS, maxWireAge)
	case w.LatencyUS < 0 || w.LatencyUS > maxWireLatency.Microseconds():
		return fmt.Errorf("latency %d µs outside 0 to %v", w.LatencyUS, maxWireLatency)
	case w.CertExp < 0 || w.CertExp > maxCertExpiry:
		return fmt.Errorf("certificate expiry %d outside the years 1970 to 9999", w.CertExp)
	}
	return nil
}

// wireObservation is one observation inside a batch.
type wireObservation struct {
	Endpoint string `json:"e"`
	// AgeMS is how long before the batch's SentAt the probe finished.
	AgeMS     int64        `json:"a,omitempty"`
	Up        bool         `json:"u,omitempty"`
	LatencyUS int64        `json:"l,omitempty"`
	Reason    model.Reason `json:"r,omitempty"` // left out when the probe passed
	Detail    string       `json:"d,omitempty"`
	Warning   string       `json:"w,omitempty"`
	CertExp   int64        `json:"c,omitempty"` // Unix seconds
}

func encodeBatch(from string, sentAt time.Time, obs []model.Observation) remoteBatch {
	b := remoteBatch{From: from, SentAt: sentAt, Observations: make([]wireObservation, len(obs))}
	for i, o := range obs {
		w := wireObservation{Endpoint: o.Endpoint, AgeMS: sentAt.Sub(o.At).Milliseconds(), Up: o.Result.Up,
			LatencyUS: o.Result.Latency.Microseconds(), Detail: o.Result.Detail, Warning: o.Result.Warning}
		if !(o.Result.Up && o.Result.Reason == model.ReasonOK) {
			w.Reason = o.Result.Reason
		}
		if !o.Result.CertExpiry.IsZero() {
			w.CertExp = o.Result.CertExpiry.Unix()
		}
		b.Observations[i] = w
	}
	return b
}

// observation rebuilds one observation of the batch, its time on the
// receiver's clock (at is the batch's SentAt moved onto that clock).
func (w wireObservation) observation(vantage string, at time.Time) model.Observation {
	o := model.Observation{Vantage: vantage, Endpoint: w.Endpoint, At: at.Add(-time.Duration(w.AgeMS) * time.Millisecond),
		Result: model.Result{Up: w.Up, Latency: time.Duration(w.LatencyUS) * time.Microsecond, Reason: w.Reason,
			Detail: w.Detail, Warning: w.Warning}}
	if o.Result.Up && o.Result.Reason == "" {
		o.Result.Reason = model.ReasonOK
	}
	if w.CertExp != 0 {
		o.Result.CertExpiry = time.Unix(w.CertExp, 0).UTC()
	}
	return o
}
