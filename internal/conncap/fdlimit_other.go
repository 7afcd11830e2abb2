//go:build !unix

package conncap

// OpenFileLimit is unknown here; the defaults apply.
func OpenFileLimit() uint64 { return 0 }
