package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"

	"outlast/internal/config"
	"outlast/internal/state"
	"outlast/internal/wire"
)

func overrideOf(o state.Override, now time.Time) wire.Override {
	return wire.Override{Endpoint: o.Endpoint, Kind: o.Kind, Who: o.Who, Why: o.Why, Created: o.Created,
		Expires: o.Expires, Active: o.Active(now)}
}

func (h *Handler) overrides(w http.ResponseWriter, _ *http.Request) {
	st, now := h.agreed(), h.b.Now()
	out := struct {
		Overrides []wire.Override `json:"overrides"`
	}{Overrides: make([]wire.Override, 0, len(st.Overrides))}
	for _, o := range st.Overrides {
		out.Overrides = append(out.Overrides, overrideOf(o, now))
	}
	slices.SortFunc(out.Overrides, func(a, b wire.Override) int { return strings.Compare(a.Endpoint, b.Endpoint) })
	writeJSON(w, http.StatusOK, out)
}

func (h *Handler) setOverride(w http.ResponseWriter, r *http.Request) {
	var req wire.OverrideRequest
	if !decodeJSON(w, r, &req) {
		return
	}
	now := h.b.Now()
	o, err := overrideFrom(req, now)
	if err != nil {
		writeError(w, http.StatusBadRequest, wire.CodeBadRequest, err.Error())
		return
	}
	who := callerOf(r.Context()).name
	cmd := state.Command{Kind: state.SetOverride, At: now, Who: who, Why: req.Reason, Override: &o}
	if !h.propose(w, r, cmd) {
		return
	}
	o.Who, o.Why, o.Created = who, req.Reason, now
	h.log.Info("override set", "endpoint", o.Endpoint, "kind", o.Kind, "who", who, "why", req.Reason)
	writeJSON(w, http.StatusCreated, overrideOf(o, now))
}

// override checks the request and turns it into the override to propose.
func overrideFrom(req wire.OverrideRequest, now time.Time) (state.Override, error) {
	o := state.Override{Endpoint: req.Endpoint, Kind: req.Kind}
	switch {
	case req.Endpoint == "":
		return o, errors.New("endpoint is required")
	case !slices.Contains([]state.OverrideKind{state.Drain, state.ForceUp, state.ForceDown}, req.Kind):
		return o, fmt.Errorf("kind %q: use drain, force-up or force-down", req.Kind)
	case strings.TrimSpace(req.Reason) == "":
		return o, errors.New("reason is required: say why, it is recorded with the change")
	}
	if req.For != "" {
		d, err := time.ParseDuration(req.For)
		if err != nil || d <= 0 {
			return o, fmt.Errorf("for %q: want a positive duration such as 30m or 2h", req.For)
		}
		o.Expires = now.Add(d)
	}
	return o, nil
}

func (h *Handler) clearOverride(w http.ResponseWriter, r *http.Request) {
	endpoint := r.PathValue("endpoint")
	why := reason(r)
	if why == "" {
		writeError(w, http.StatusBadRequest, wire.CodeBadRequest,
			"reason is required (?reason=TEXT or the X-Outlast-Reason header): say why, it is recorded with the change")
		return
	}
	st, now := h.agreed(), h.b.Now()
	o, ok := st.Overrides[endpoint]
	if !ok {
		if !h.knownEndpoint(st, endpoint) {
			writeError(w, http.StatusNotFound, wire.CodeUnknownEndpoint, "no endpoint "+endpoint+" in the configuration")
			return
		}
		writeError(w, http.StatusNotFound, wire.CodeNoOverride, "endpoint "+endpoint+" has no override to clear")
		return
	}
	who := callerOf(r.Context()).name
	cmd := state.Command{Kind: state.ClearOverride, At: now, Who: who, Why: why, Endpoint: endpoint}
	if !h.propose(w, r, cmd) {
		return
	}
	h.log.Info("override cleared", "endpoint", endpoint, "kind", o.Kind, "who", who, "why", why)
	writeJSON(w, http.StatusOK, overrideOf(o, now))
}

func (h *Handler) knownEndpoint(st *state.State, name string) bool {
	var services []config.Service
	if st.Config != nil {
		services = st.Config.Shared.Services
	} else if c := h.b.Config(); c != nil {
		services = c.Services
	}
	for _, svc := range services {
		for _, e := range svc.Endpoints {
			if e.Name == name {
				return true
			}
		}
	}
	return false
}

// reason is a write's why, from ?reason= or the X-Outlast-Reason header.
func reason(r *http.Request) string {
	if why := strings.TrimSpace(r.URL.Query().Get("reason")); why != "" {
		return why
	}
	return strings.TrimSpace(r.Header.Get("X-Outlast-Reason"))
}

// propose commits cmd; on failure it answers the request with the refusal
// mapped to a status and returns false.
func (h *Handler) propose(w http.ResponseWriter, r *http.Request, cmd state.Command) bool {
	ctx, cancel := context.WithTimeout(r.Context(), proposeTimeout)
	defer cancel()
	err := h.b.Propose(ctx, cmd)
	if err == nil {
		return true
	}
	status, code := http.StatusServiceUnavailable, wire.CodeUnavailable
	switch {
	case errors.Is(err, state.ErrUnknownEndpoint):
		status, code = http.StatusNotFound, wire.CodeUnknownEndpoint
	case errors.Is(err, state.ErrInvalid) && cmd.Kind == state.ClearOverride:
		// The only refusal of a clear: the override went meanwhile.
		status, code = http.StatusNotFound, wire.CodeNoOverride
	case errors.Is(err, state.ErrInvalid):
		status, code = http.StatusBadRequest, wire.CodeBadRequest
	case errors.Is(err, state.ErrVersionConflict):
		status, code = http.StatusConflict, wire.CodeVersionConflict
	case errors.Is(err, state.ErrNotYet):
		// A rolling upgrade is under way: the change waits for its end.
		status, code = http.StatusConflict, wire.CodeNotYet
	default:
		h.log.Warn("proposal failed", "kind", cmd.Kind, "who", cmd.Who, "err", err)
	}
	writeError(w, status, code, err.Error())
	return false
}

// decodeJSON reads the body as one JSON value of at most maxJSONBody
// bytes into v, refusing unknown fields so a typo in a field name is an
// error rather than a silently ignored setting, and anything after the
// value. When it cannot, it answers the request (400, or 413 for a body
// too large) and returns false.
func decodeJSON(w http.ResponseWriter, r *http.Request, v any) bool {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxJSONBody))
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if err == nil {
		switch _, next := dec.Token(); {
		case errors.As(next, new(*http.MaxBytesError)):
			err = next // whitespace past the limit is still too large
		case next != io.EOF:
			err = errors.New("more than one JSON value, or text after it")
		}
	}
	var tooBig *http.MaxBytesError
	switch {
	case err == nil:
		return true
	case errors.As(err, &tooBig):
		writeError(w, http.StatusRequestEntityTooLarge, wire.CodeBadRequest, fmt.Sprintf("request body larger than %d bytes", maxJSONBody))
	default:
		writeError(w, http.StatusBadRequest, wire.CodeBadRequest, "request body: "+err.Error())
	}
	return false
}
