package zoneserial

// Less reports whether serial a comes before serial b in the
// sequence-space arithmetic of RFC 1982 §3.2: b is ahead of a by less than
// 2^31. Two serials exactly 2^31 apart are not ordered (the RFC leaves that
// case undefined), so neither is less than the other.
func Less(a, b uint32) bool {
	d := b - a // wraps modulo 2^32
	return d != 0 && d < 1<<31
}
