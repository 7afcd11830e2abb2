package state

import "fmt"

// ProtocolVersion is the version of the replicated protocol this build
// speaks: the command kinds it can apply, the snapshots it can read and the
// cluster RPC it answers. Builds before versions were numbered spoke 1 (a
// command or snapshot without a version is a 1).
//
// Raise it when a change would make an older node mis-apply or refuse
// something: a new command kind, a new meaning for a field. Then give the
// new kinds the new version in kindVersions, and propose them only once the
// cluster version (the lowest version every voter reports) has reached it:
// Allowed says whether it has.
const ProtocolVersion = 2

// kindVersions is the protocol version that introduced each command kind:
// the lowest version a node must speak to apply it. Every kind that existed
// before versions were numbered is 1; a restored backup (RestoreState) is
// the first kind of 2. A kind missing here is one this build
// does not know (Understood refuses it).
var kindVersions = map[Kind]int{
	SetConfig:       1,
	SetVerdicts:     1,
	SetOverride:     1,
	ClearOverride:   1,
	ExpireOverrides: 1,
	SetMember:       1,
	RemoveMember:    1,
	ChangePrimary:   1,
	ReportPrimary:   1,
	SetGate:         1,
	RotateCookies:   1,
	// Version 2.
	RestoreState: 2,
}

// KindVersion returns the protocol version that introduced kind, and false
// for a kind this build does not know.
func KindVersion(kind Kind) (int, bool) {
	v, ok := kindVersions[kind]
	return v, ok
}

// Allowed reports whether a command of kind may be proposed to a cluster
// whose version (the lowest protocol version of its voters) is
// clusterVersion: every voter must be able to apply it, or the ones that
// cannot would stop applying the log. An unknown kind is never allowed.
func Allowed(kind Kind, clusterVersion int) error {
	v, ok := KindVersion(kind)
	switch {
	case !ok:
		return wrap(ErrUnknownCommand, "%.64q", kind)
	case v > clusterVersion:
		return wrap(ErrNotYet, "command %q needs protocol version %d, and the cluster speaks %d until every member runs a build that speaks %d (see outlast cluster status)",
			kind, v, clusterVersion, v)
	}
	return nil
}

// versionOf is the version a command carries in the log: its kind's
// version, so a command any older node could apply says 1 and is encoded
// exactly as before versions were numbered (no "v" field).
func versionOf(kind Kind) int {
	if v, ok := kindVersions[kind]; ok {
		return v
	}
	return ProtocolVersion
}

// Understood returns nil when this build can apply cmd: it knows its kind
// and speaks its version. Otherwise it says why, wrapping ErrNewerVersion
// or ErrUnknownCommand. The check comes before anything is applied, so a
// command is never half-applied.
func Understood(cmd Command) error {
	v := cmd.version()
	if v > ProtocolVersion {
		return wrap(ErrNewerVersion, "command %.64q is of protocol version %d; this build speaks %d: upgrade it", cmd.Kind, v, ProtocolVersion)
	}
	if _, ok := kindVersions[cmd.Kind]; !ok {
		return wrap(ErrUnknownCommand, "%.64q (protocol version %d, this build speaks %d)", cmd.Kind, v, ProtocolVersion)
	}
	return nil
}

// version is the command's protocol version: 1 when it carries none.
func (cmd Command) version() int {
	if cmd.V <= 0 {
		return 1
	}
	return cmd.V
}

// Halt is why a Machine stopped applying the log: an entry it does not
// understand, which a newer leader committed. The Machine keeps its last
// state (the node answers from it) and applies nothing more until it is
// upgraded and restarted, when it replays the log from its last snapshot.
type Halt struct {
	// Index is the log index of the entry it could not apply.
	Index uint64
	Err   error
}

func (h *Halt) Error() string {
	return fmt.Sprintf("state: stopped applying the log at index %d: %v", h.Index, h.Err)
}

func (h *Halt) Unwrap() error { return h.Err }
