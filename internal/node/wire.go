package node

import (
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
	SentAt       time.Time         `json:"sent_at"`
	Observations []wireObservation `json:"obs"`
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
