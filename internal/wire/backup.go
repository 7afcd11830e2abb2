package wire

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// The backup file: GET /api/v1/backup writes it, POST /api/v1/restore reads
// it. It is one JSON object: BackupInfo's fields, the replicated state in
// the format of the node's Raft snapshots under "state", and the SHA-256 of
// exactly those state bytes under "state_sha256", which comes last so that
// a node can stream the state and hash it as it goes.
const (
	// BackupFormat is the version of the backup file's layout.
	BackupFormat = 1
	// MaxBackup bounds a backup a client reads: the state of 10,000
	// endpoints with their evidence is a few megabytes.
	MaxBackup = 256 << 20
	// MaxRestore bounds a backup a node accepts to restore: the state
	// travels as one Raft entry, forwarded to the leader in a cluster RPC
	// of at most 16 MiB, which leaves room for the command around it.
	MaxRestore = 15 << 20
)

// CodeHasHistory is the refusal (409) of a restore into a cluster whose
// operators already changed something, which the restore would replace;
// ?force=true replaces it anyway.
const CodeHasHistory = "has_history"

// ErrHasHistory matches a restore refused with CodeHasHistory.
var ErrHasHistory = &CodeError{CodeHasHistory}

// BackupInfo says where a backup comes from, so a restore can check it.
type BackupInfo struct {
	Format int `json:"format"`
	// OutlastVersion is the version of the node that wrote it, Node its name.
	OutlastVersion string `json:"outlast_version"`
	Node           string `json:"node"`
	// Index is the Raft index of the last command the state holds.
	Index   uint64    `json:"index"`
	TakenAt time.Time `json:"taken_at"`
	// ConfigVersion and ConfigHash are the replicated configuration's.
	ConfigVersion uint64 `json:"config_version"`
	ConfigHash    string `json:"config_hash"`
	// StateSHA256 is the hex SHA-256 of State's bytes.
	StateSHA256 string `json:"state_sha256,omitempty"`
}

// Backup is a parsed backup file.
type Backup struct {
	BackupInfo
	// State is the replicated state, exactly the bytes hashed.
	State json.RawMessage `json:"state"`
}

// Restored is the answer to POST /api/v1/restore: the cluster's state once
// this node applied the restore.
type Restored struct {
	// Index is the Raft index of the restore.
	Index         uint64 `json:"index"`
	ConfigVersion uint64 `json:"config_version"`
	ConfigHash    string `json:"config_hash"`
	Overrides     int    `json:"overrides"`
	Events        int    `json:"events"`
}

// WriteBackup writes a backup file to w: info, then the state that
// writeState streams, then its hash. info.StateSHA256 is ignored.
func WriteBackup(w io.Writer, info BackupInfo, writeState func(io.Writer) error) error {
	info.Format, info.StateSHA256 = BackupFormat, ""
	head, err := json.Marshal(info)
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	head = append(head[:len(head)-1], `,"state":`...) // reopen the object
	if _, err := w.Write(head); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	sum := sha256.New()
	if err := writeState(io.MultiWriter(w, sum)); err != nil {
		return fmt.Errorf("backup: state: %w", err)
	}
	_, err = fmt.Fprintf(w, ",\"state_sha256\":%q}\n", hex.EncodeToString(sum.Sum(nil)))
	return err
}

// ParseBackup reads and checks a backup file: its layout version, that
// every field is one it knows, and that the state is the one hashed.
func ParseBackup(data []byte) (*Backup, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var b Backup
	if err := dec.Decode(&b); err != nil {
		return nil, fmt.Errorf("backup: not a backup file: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("backup: text after the backup")
	}
	switch {
	case b.Format != BackupFormat:
		return nil, fmt.Errorf("backup: format %d; this build reads format %d", b.Format, BackupFormat)
	case len(b.State) == 0 || b.StateSHA256 == "":
		return nil, errors.New("backup: no state, or no state_sha256: the file was cut short")
	}
	sum := sha256.Sum256(b.State)
	if got := hex.EncodeToString(sum[:]); got != b.StateSHA256 {
		return nil, fmt.Errorf("backup: the state's SHA-256 is %s, the file says %s: the file is damaged", got, b.StateSHA256)
	}
	return &b, nil
}

// Backup is GET /api/v1/backup (admin): a consistent backup of the
// cluster's replicated state from this node, checked, with the file's
// bytes to keep. The answer is read up to MaxBackup bytes.
func (c *Client) Backup(ctx context.Context) (*Backup, []byte, error) {
	if c.err != nil {
		return nil, nil, c.err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base.JoinPath("backup").String(), nil)
	if err != nil {
		return nil, nil, fmt.Errorf("api: %w", err)
	}
	req.Header.Set("Accept", "application/json")
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, nil, fmt.Errorf("api: GET backup: %w", err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, MaxBackup+1))
	switch {
	case err != nil:
		return nil, nil, fmt.Errorf("api: GET backup: reading the answer: %w", err)
	case resp.StatusCode != http.StatusOK:
		return nil, nil, errorOf(resp.StatusCode, data)
	case len(data) > MaxBackup:
		return nil, nil, fmt.Errorf("api: GET backup: larger than %d bytes", MaxBackup)
	}
	b, err := ParseBackup(data)
	if err != nil {
		return nil, nil, fmt.Errorf("api: GET backup: %w", err)
	}
	return b, data, nil
}

// Restore is POST /api/v1/restore (admin): replace the cluster's state with
// a backup file's. force replaces a state with history of its own
// (otherwise refused with ErrHasHistory).
func (c *Client) Restore(ctx context.Context, backup []byte, reason string, force bool) (*Restored, error) {
	q := url.Values{"reason": {reason}}
	if force {
		q.Set("force", strconv.FormatBool(force))
	}
	var out Restored
	return &out, c.do(ctx, http.MethodPost, "restore", q, jsonBody(backup), nil, &out)
}
