//go:build !unix

package httpguard

// openFileLimit is unknown here; the defaults apply.
func openFileLimit() uint64 { return 0 }
