package wire

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"outlast/internal/primary"
	"outlast/internal/state"
)

// Primary is one policy primary service's agreed primary, as GET
// /api/v1/primaries shows it.
type Primary struct {
	Service string `json:"service"`
	// Mode is elect or follow.
	Mode string `json:"mode"`
	// Primary is the endpoint answered ("" before the first election);
	// Epoch its fencing token, the epoch it was promoted at.
	Primary string    `json:"primary"`
	Epoch   uint64    `json:"epoch"`
	Since   time.Time `json:"since,omitzero"`
	// LastEpoch is the last epoch issued: above Epoch while a promotion
	// is pending or after one was abandoned (its number is never reused).
	LastEpoch uint64 `json:"last_epoch"`
	// Pending is a promotion waiting for its on_promote hook.
	Pending *primary.Promotion `json:"pending,omitempty"`
	// Demoted former primaries are not answered again without an
	// operator; Fencing are those whose on_demote has not succeeded yet.
	Demoted []string `json:"demoted,omitempty"`
	Fencing []string `json:"fencing,omitempty"`
	// Held says why an automatic change is not happening (a rule, a gate,
	// a split brain); Claimants are the endpoints claiming the role at once.
	Held      string   `json:"held,omitempty"`
	Claimants []string `json:"claimants,omitempty"`
	// Hooks are the last run of each hook.
	Hooks []state.HookRun `json:"hooks,omitempty"`
	// Rules are the service's assertion rules, Gates its gating rules.
	Rules []string     `json:"rules,omitempty"`
	Gates []GateStatus `json:"gates,omitempty"`
}

// GateStatus is a gating rule and who last set it.
type GateStatus struct {
	Name string    `json:"name"`
	On   bool      `json:"on"`
	Who  string    `json:"who,omitempty"`
	Why  string    `json:"why,omitempty"`
	At   time.Time `json:"at,omitzero"`
}

// PrimaryRequest is POST /api/v1/primaries: make Endpoint its service's
// primary (after its on_promote hook).
type PrimaryRequest struct {
	Endpoint string `json:"endpoint"`
	// Reason says why; required, recorded in the event history.
	Reason string `json:"reason"`
	// BreakGlass passes over the service's safety rules and gates; it is
	// recorded as such.
	BreakGlass bool `json:"break_glass,omitempty"`
}

// GateRequest is POST /api/v1/gates/{name}.
type GateRequest struct {
	On     bool   `json:"on"`
	Reason string `json:"reason"`
}

// Primaries is GET /api/v1/primaries.
func (c *Client) Primaries(ctx context.Context) ([]Primary, error) {
	var out struct{ Primaries []Primary }
	err := c.do(ctx, http.MethodGet, "primaries", nil, nil, nil, &out)
	return out.Primaries, err
}

// SetPrimary is POST /api/v1/primaries; it returns the service's record
// with the promotion started.
func (c *Client) SetPrimary(ctx context.Context, req PrimaryRequest) (*Primary, error) {
	body, err := json.Marshal(req)
	if err != nil {
		return nil, fmt.Errorf("api: %w", err)
	}
	var out Primary
	return &out, c.do(ctx, http.MethodPost, "primaries", nil, jsonBody(body), nil, &out)
}

// SetGate is POST /api/v1/gates/{name}.
func (c *Client) SetGate(ctx context.Context, name string, req GateRequest) (*GateStatus, error) {
	body, err := json.Marshal(req)
	if err != nil {
		return nil, fmt.Errorf("api: %w", err)
	}
	var out GateStatus
	return &out, c.do(ctx, http.MethodPost, "gates/"+url.PathEscape(name), nil, jsonBody(body), nil, &out)
}
