package state

// Errors Apply returns to the proposer. The state is unchanged when Apply
// returns one of them. Each carries a stable code (Code) so that a refusal
// can cross a process boundary, such as the cluster RPC from the leader to
// the follower that proposed, and become the same sentinel again on the
// other side (ErrorOfCode); its text is for people and may change.
var (
	// ErrUnknownCommand means the command kind is not one this version knows.
	ErrUnknownCommand = &Error{code: "unknown_command", text: "state: unknown command"}
	// ErrUnknownEndpoint means an override names no endpoint of the configuration.
	ErrUnknownEndpoint = &Error{code: "unknown_endpoint", text: "state: unknown endpoint"}
	// ErrVersionConflict means a configuration was applied against a version
	// that is no longer current: someone else changed it first.
	ErrVersionConflict = &Error{code: "version_conflict", text: "state: configuration version conflict"}
	// ErrInvalid means the command lacks something it needs.
	ErrInvalid = &Error{code: "invalid_command", text: "state: invalid command"}
	// ErrNewerVersion means a command or snapshot is of a protocol version
	// newer than this build speaks (ProtocolVersion): upgrade the node.
	ErrNewerVersion = &Error{code: "newer_version", text: "state: newer protocol version"}
	// ErrNotYet means a command kind is newer than the cluster version:
	// some member still runs an older build that could not apply it.
	ErrNotYet = &Error{code: "not_yet", text: "state: not every member speaks this command yet"}
)

// sentinels are the errors above, the only values of *Error.
var sentinels = []*Error{ErrUnknownCommand, ErrUnknownEndpoint, ErrVersionConflict, ErrInvalid, ErrNewerVersion, ErrNotYet}

// Error is a refusal of the state machine: one of the sentinel errors
// above, compared with errors.Is (Apply wraps them with detail).
type Error struct {
	code string
	text string
}

func (e *Error) Error() string { return e.text }

// Code is the refusal's stable name, such as "version_conflict".
func (e *Error) Code() string { return e.code }

// ErrorOfCode returns the sentinel error whose Code is code, or nil when
// no refusal has that code (one from a newer version, say).
func ErrorOfCode(code string) error {
	for _, e := range sentinels {
		if e.code == code {
			return e
		}
	}
	return nil
}
