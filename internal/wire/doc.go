// Package wire is what crosses a process boundary to a node's operator API:
// the JSON bodies the server writes, the error codes scripts match on, and
// the Go client the CLI, the drill, the benches and the tests call it with.
//
// It is a leaf: it links neither Raft nor bbolt nor the node, so a tool that
// talks to a cluster stays small, and the server cannot return a type the
// client does not know. The server side lives in internal/api.
package wire
