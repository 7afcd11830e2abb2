package api

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"outlast/internal/config"
	"outlast/internal/state"
	"outlast/internal/wire"
	"outlast/internal/zone"
)

// How long apply waits for this node to apply its own committed change.
const (
	applyWait = 2 * time.Second
	applyPoll = 10 * time.Millisecond
)

// requestFile names the configuration text of a request in its problems.
const requestFile = "request"

func (h *Handler) config(w http.ResponseWriter, _ *http.Request) {
	st := h.agreed()
	if c := st.Config; c != nil {
		writeJSON(w, http.StatusOK, wire.ConfigDoc{Version: c.Version, Hash: c.Hash, AppliedAt: c.At, AppliedBy: c.Who, Config: c.Shared})
		return
	}
	// No configuration agreed yet: this node's own, as version 0.
	doc := wire.ConfigDoc{}
	if c := h.b.Config(); c != nil {
		doc.Hash, doc.Config = c.Hash, c.Shared()
	}
	writeJSON(w, http.StatusOK, doc)
}

func (h *Handler) validate(w http.ResponseWriter, r *http.Request) {
	cfg, ok := h.parse(w, r)
	if ok {
		writeJSON(w, http.StatusOK, wire.Validation{Valid: true, Hash: cfg.Hash})
	}
}

// parse reads the request body as a configuration file; when it is not
// one it answers the request (422 with the problems) and returns false.
func (h *Handler) parse(w http.ResponseWriter, r *http.Request) (*config.Config, bool) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxConfigBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			writeError(w, http.StatusRequestEntityTooLarge, wire.CodeBadRequest, fmt.Sprintf("configuration larger than %d bytes", maxConfigBody))
		} else {
			writeError(w, http.StatusBadRequest, wire.CodeBadRequest, "reading the configuration: "+err.Error())
		}
		return nil, false
	}
	cfg, err := config.Parse(requestFile, body)
	if err == nil {
		// The zones' records are checked, and the zones completed from
		// them, before the configuration is judged valid or replicated.
		err = zone.Check(cfg)
	}
	if err == nil {
		return cfg, true
	}
	out := wire.Validation{Error: "the configuration has problems", Code: wire.CodeInvalidConfig}
	var cerr *config.Error
	if !errors.As(err, &cerr) {
		out.Problems = []wire.Problem{{Message: err.Error(), Text: err.Error()}}
	} else {
		for _, p := range cerr.Problems {
			out.Problems = append(out.Problems, wire.Problem{Line: p.Pos.Line, Column: p.Pos.Column, Path: p.Path,
				Message: p.Message, Text: p.Format(cerr.File)})
		}
	}
	out.Error = fmt.Sprintf("the configuration has %d problem(s)", len(out.Problems))
	if cerr != nil && cerr.Omitted > 0 {
		// The last entry says how many were left out, and is not one itself.
		out.Error = fmt.Sprintf("the configuration has %d problem(s); the first %d are listed",
			len(out.Problems)-1+cerr.Omitted, len(out.Problems)-1)
	}
	writeJSON(w, http.StatusUnprocessableEntity, out)
	return nil, false
}

func (h *Handler) apply(w http.ResponseWriter, r *http.Request) {
	var base uint64
	if s := r.URL.Query().Get("base_version"); s != "" {
		v, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			writeError(w, http.StatusBadRequest, wire.CodeBadRequest, fmt.Sprintf("base_version %q: want the version you edited (GET /api/v1/config)", s))
			return
		}
		base = v
	}
	why := reason(r)
	if why == "" {
		writeError(w, http.StatusBadRequest, wire.CodeBadRequest,
			"reason is required (?reason=TEXT or the X-Outlast-Reason header): say why, it is recorded with the change")
		return
	}
	cfg, ok := h.parse(w, r)
	if !ok {
		return
	}
	before := h.agreed().Config
	shared, who := cfg.Shared(), callerOf(r.Context()).name
	cmd := state.Command{Kind: state.SetConfig, At: h.b.Now(), Who: who, Why: why,
		Config: &shared, ConfigHash: cfg.Hash, BaseVersion: base}
	if before != nil && base != 0 && base != before.Version {
		// Refused here as the state machine would, without a round trip.
		h.conflict(w, base, before.Version)
		return
	}
	if !h.propose(w, r, cmd) {
		return
	}
	out := wire.Applied{Hash: cfg.Hash, Changed: before == nil || before.Hash != cfg.Hash}
	out.Version = h.waitForConfig(r, cfg.Hash)
	h.log.Info("configuration applied", "version", out.Version, "hash", cfg.Hash, "changed", out.Changed, "who", who, "why", why)
	writeJSON(w, http.StatusOK, out)
}

func (h *Handler) conflict(w http.ResponseWriter, base, current uint64) {
	writeError(w, http.StatusConflict, wire.CodeVersionConflict, fmt.Sprintf(
		"the configuration changed since you read it: you edited version %d, but version %d is current; get it again and redo your change", base, current))
}

// waitForConfig returns the version of the configuration with hash once
// this node applied it. A change commits on the leader first, so a
// follower may lag a moment; 0 if it did not catch up in time.
func (h *Handler) waitForConfig(r *http.Request, hash string) uint64 {
	deadline := time.NewTimer(applyWait)
	defer deadline.Stop()
	tick := time.NewTicker(applyPoll)
	defer tick.Stop()
	for {
		if c := h.agreed().Config; c != nil && c.Hash == hash {
			return c.Version
		}
		select {
		case <-tick.C:
		case <-deadline.C:
			return 0
		case <-r.Context().Done():
			return 0
		}
	}
}
