package api

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"

	"outlast/internal/state"
	"outlast/internal/wire"
)

// backup streams a backup file of the state this node applied: one
// published State, so one applied index, consistent by construction
// whatever the log does meanwhile. Nothing is read from the request.
func (h *Handler) backup(w http.ResponseWriter, r *http.Request) {
	st, node := h.agreed(), h.b.Info()
	if st.Config == nil {
		writeError(w, http.StatusServiceUnavailable, wire.CodeUnavailable,
			"this node has applied no configuration yet, so there is nothing to back up; ask a node that is ready")
		return
	}
	info := wire.BackupInfo{OutlastVersion: node.Version, Node: node.Name, Index: st.Index, TakenAt: h.b.Now(),
		ConfigVersion: st.Config.Version, ConfigHash: st.Config.Hash}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="outlast-backup-%d.json"`, st.Index))
	w.WriteHeader(http.StatusOK)
	err := wire.WriteBackup(w, info, func(w io.Writer) error {
		_, err := st.WriteJSON(w)
		return err
	})
	who := callerOf(r.Context()).name
	if err != nil {
		// The client's hash check refuses what was cut short.
		h.log.Warn("backup cut short", "who", who, "index", st.Index, "err", err)
		return
	}
	h.log.Info("backup taken", "who", who, "index", st.Index, "config_version", st.Config.Version)
}

// restore replaces the cluster's state with a backup's, through the log
// (state.RestoreState), and answers once this node applied it.
// maxRestoreEntry bounds the restore command in the Raft log: the backup
// (wire.MaxRestore) and its metadata, under the cluster RPC's 16 MiB.
const maxRestoreEntry = wire.MaxRestore + 512<<10

func (h *Handler) restore(w http.ResponseWriter, r *http.Request) {
	why := reason(r)
	force, err := strconv.ParseBool(cmp.Or(r.URL.Query().Get("force"), "false"))
	switch {
	case why == "":
		writeError(w, http.StatusBadRequest, wire.CodeBadRequest,
			"reason is required (?reason=TEXT or the X-Outlast-Reason header): say why, it is recorded with the restore")
		return
	case err != nil:
		writeError(w, http.StatusBadRequest, wire.CodeBadRequest, "force: want true or false")
		return
	}
	b, ok := readBackup(w, r)
	if !ok {
		return
	}
	if history := h.agreed().History(); history != "" && !force {
		writeError(w, http.StatusConflict, wire.CodeHasHistory, "this cluster has history of its own ("+history+
			"), which a restore would replace: restore into a new cluster, or replace it on purpose with force")
		return
	}
	who := callerOf(r.Context()).name
	cmd := state.Command{Kind: state.RestoreState, At: h.b.Now(), Who: who, Why: why,
		Restore: &state.Restore{State: b.State, Index: b.Index, TakenAt: b.TakenAt, Force: force}}
	// The body is bounded, but the command's JSON escapes <, > and & in
	// the state six bytes for one: bound the entry the log would carry.
	if data, err := state.Encode(cmd); err == nil && len(data) > maxRestoreEntry {
		writeError(w, http.StatusRequestEntityTooLarge, wire.CodeBadRequest, fmt.Sprintf(
			"the backup makes a log entry of %d bytes (its <, > and & are escaped), more than %d", len(data), maxRestoreEntry))
		return
	}
	if !h.propose(w, r, cmd) {
		return
	}
	st := h.agreed() // Propose waited for this node to apply it
	out := wire.Restored{Index: st.Index, Overrides: len(st.Overrides), Events: len(st.Events)}
	if st.Config != nil {
		out.ConfigVersion, out.ConfigHash = st.Config.Version, st.Config.Hash
	}
	h.log.Info("state restored", "who", who, "why", why, "backup_index", b.Index, "backup_node", b.Node, "force", force)
	writeJSON(w, http.StatusOK, out)
}

// readBackup reads the body as a backup file of at most wire.MaxRestore
// bytes whose state holds a configuration; when it is not one it answers
// the request (400, or 413) and returns false.
func readBackup(w http.ResponseWriter, r *http.Request) (*wire.Backup, bool) {
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, wire.MaxRestore))
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		writeError(w, http.StatusRequestEntityTooLarge, wire.CodeBadRequest, fmt.Sprintf(
			"backup larger than %d bytes, the most one Raft entry carries here", wire.MaxRestore))
		return nil, false
	case err != nil:
		writeError(w, http.StatusBadRequest, wire.CodeBadRequest, "reading the backup: "+err.Error())
		return nil, false
	}
	b, err := wire.ParseBackup(data)
	if err == nil {
		if _, serr := state.ParseBackupState(b.State); serr != nil {
			err = fmt.Errorf("backup: %w", serr)
		}
	}
	if err != nil {
		writeError(w, http.StatusBadRequest, wire.CodeBadRequest, err.Error())
		return nil, false
	}
	return b, true
}
