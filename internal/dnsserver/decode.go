package dnsserver

import (
	"encoding/binary"
	"encoding/hex"

	"github.com/miekg/dns"

	"outlast/internal/dnscookie"
)

// decoder unpacks UDP queries into a reused dns.Msg. miekg's Unpack
// allocates the question slice, its name, the OPT record and each of its
// options for every query; under load that garbage and its collection
// cost outlast more than answering (a fifth of its CPU in a profile of
// the geo bench). Nearly every query has the same shape, so that shape is
// read here without allocating: one question whose name is plain
// letters, digits, hyphens and underscores, uncompressed, and at most an
// OPT record carrying no option or at most one each of ECS, COOKIE (which
// resolvers such as BIND send with every query) and NSID. Anything else, and
// anything this reading would not take as miekg does, goes to Unpack, so
// the result is always what Unpack gives (FuzzDecoder holds it to that).
//
// A decoder belongs to one read loop: the message it fills shares its
// buffers and is good until the next decode.
type decoder struct {
	question [1]dns.Question
	extra    [1]dns.RR
	opt      dns.OPT
	options  [3]dns.EDNS0
	subnet   dns.EDNS0_SUBNET
	address  [16]byte // subnet.Address's storage
	cookie   dns.EDNS0_COOKIE
	nsid     dns.EDNS0_NSID
	// cookies are recent COOKIE options in miekg's hex form: a resolver
	// repeats its cookie until the server's changes (each second at most),
	// so most are not allocated again; nextCookie is the slot to take.
	cookies    [16]string
	nextCookie int
	hex        [2 * (dnscookie.ClientLen + dnscookie.MaxServerLen)]byte
	// names are recent question names, so a name asked again is not
	// allocated again; next is the slot the next new name takes.
	names [8]string
	next  int
	name  [maxNameLen]byte // a name's presentation form, being built
}

// decode fills req from the query m as req.Unpack(m) would.
func (d *decoder) decode(req *dns.Msg, m []byte) error {
	if d.fast(req, m) {
		return nil
	}
	return req.Unpack(m)
}

// fast decodes the common shape and reports whether it could; when it
// could not, req may be half filled and must be unpacked afresh.
func (d *decoder) fast(req *dns.Msg, m []byte) bool {
	if len(m) < headerLen {
		return false
	}
	qd, an, ns, ar := binary.BigEndian.Uint16(m[4:]), binary.BigEndian.Uint16(m[6:]), binary.BigEndian.Uint16(m[8:]), binary.BigEndian.Uint16(m[10:])
	if qd != 1 || an != 0 || ns != 0 || ar > 1 {
		return false
	}
	name, off, ok := d.questionName(m)
	if !ok || off+4 > len(m) {
		return false
	}
	bits := binary.BigEndian.Uint16(m[2:])
	req.MsgHdr = dns.MsgHdr{
		Id:                 binary.BigEndian.Uint16(m),
		Response:           bits&flagQR != 0,
		Opcode:             int(bits>>11) & 0xF,
		Authoritative:      bits&flagAA != 0,
		Truncated:          bits&flagTC != 0,
		RecursionDesired:   bits&flagRD != 0,
		RecursionAvailable: bits&flagRA != 0,
		Zero:               bits&flagZ != 0,
		AuthenticatedData:  bits&flagAD != 0,
		CheckingDisabled:   bits&flagCD != 0,
		Rcode:              int(bits & 0xF),
	}
	d.question[0] = dns.Question{Name: name, Qtype: binary.BigEndian.Uint16(m[off:]), Qclass: binary.BigEndian.Uint16(m[off+2:])}
	req.Question, req.Answer, req.Ns, req.Extra = d.question[:], nil, nil, nil
	off += 4
	if ar == 0 {
		return true // trailing bytes are ignored, as Unpack does
	}
	if !d.readOPT(m[off:]) {
		return false
	}
	d.extra[0] = &d.opt
	req.Extra = d.extra[:]
	req.Rcode |= d.opt.ExtendedRcode()
	return true
}

// questionName reads the question name at the header's end into its
// presentation form and returns the offset after it. It takes only
// uncompressed names of plain labels, whose presentation needs no escapes.
func (d *decoder) questionName(m []byte) (string, int, bool) {
	off, n := headerLen, 0
	for {
		if off >= len(m) {
			return "", 0, false
		}
		l := int(m[off])
		off++
		if l == 0 {
			break
		}
		if l > 63 || off+l > len(m) || n+l+1 > maxNameLen-1 {
			return "", 0, false // pointers, other label types, or too long: Unpack decides
		}
		for _, c := range m[off : off+l] {
			if !plainNameByte(c) {
				return "", 0, false
			}
		}
		n += copy(d.name[n:], m[off:off+l])
		d.name[n] = '.'
		n++
		off += l
	}
	if n == 0 {
		return ".", off, true
	}
	return intern(d.names[:], &d.next, d.name[:n]), off, true
}

// plainNameByte: a byte that stands for itself in a name's presentation.
func plainNameByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_'
}

// intern returns b as a string, reusing one of recent with the same bytes
// or else replacing recent[*next], the oldest; names and cookies share it.
func intern(recent []string, next *int, b []byte) string {
	for _, s := range recent {
		if s == string(b) { // compared without allocating
			return s
		}
	}
	s := string(b)
	recent[*next] = s
	*next = (*next + 1) % len(recent)
	return s
}

// readOPT reads the one additional record, m being the rest of the
// message: an OPT owned by the root with no option, or at most one each
// of ECS, COOKIE and NSID, in the order given.
func (d *decoder) readOPT(m []byte) bool {
	if len(m) < optLen || m[0] != 0 || binary.BigEndian.Uint16(m[1:]) != dns.TypeOPT {
		return false
	}
	rdlen := int(binary.BigEndian.Uint16(m[9:]))
	if optLen+rdlen > len(m) {
		return false
	}
	d.opt = dns.OPT{Hdr: dns.RR_Header{
		Name:     ".",
		Rrtype:   dns.TypeOPT,
		Class:    binary.BigEndian.Uint16(m[3:]),
		Ttl:      binary.BigEndian.Uint32(m[5:]),
		Rdlength: uint16(rdlen),
	}}
	rdata := m[optLen : optLen+rdlen]
	n := 0
	for len(rdata) > 0 {
		if len(rdata) < 4 || n == len(d.options) {
			return false
		}
		code, l := binary.BigEndian.Uint16(rdata), int(binary.BigEndian.Uint16(rdata[2:]))
		if 4+l > len(rdata) {
			return false
		}
		var o dns.EDNS0
		switch data := rdata[4 : 4+l]; {
		case code == dns.EDNS0SUBNET && !d.has(&d.subnet, n) && d.readSubnet(data):
			o = &d.subnet
		case code == dns.EDNS0COOKIE && !d.has(&d.cookie, n) && 2*l <= len(d.hex):
			d.cookie = dns.EDNS0_COOKIE{Cookie: d.internCookie(data)} // Code left zero, as Unpack leaves it
			o = &d.cookie
		case code == dns.EDNS0NSID && !d.has(&d.nsid, n) && l == 0:
			d.nsid = dns.EDNS0_NSID{}
			o = &d.nsid
		default:
			return false
		}
		d.options[n] = o
		n++
		rdata = rdata[4+l:]
	}
	if n > 0 {
		d.opt.Option = d.options[:n]
	}
	return true
}

// has reports whether o is among the first n options read: each is read
// into one place, so a second of a kind goes to Unpack.
func (d *decoder) has(o dns.EDNS0, n int) bool {
	for _, x := range d.options[:n] {
		if x == o {
			return true
		}
	}
	return false
}

// internCookie returns data in miekg's hex form, reusing a recent string
// with the same text.
func (d *decoder) internCookie(data []byte) string {
	return intern(d.cookies[:], &d.nextCookie, d.hex[:hex.Encode(d.hex[:], data)])
}

// readSubnet reads an ECS option's data as miekg's EDNS0_SUBNET does,
// declining what it would refuse: a short option, an unknown family, a
// prefix beyond the family's size. Like miekg, it keeps the address in a
// buffer of the family's size, dropping octets beyond it and padding short
// ones with zeros; respond's checks see to those (ecs.go).
func (d *decoder) readSubnet(b []byte) bool {
	if len(b) < 4 {
		return false
	}
	family, source, scope := binary.BigEndian.Uint16(b), b[2], b[3]
	d.subnet = dns.EDNS0_SUBNET{Family: family, SourceNetmask: source, SourceScope: scope}
	d.address = [16]byte{}
	switch {
	case family == ecsFamilyNone && source == 0:
		d.address[10], d.address[11] = 0xff, 0xff // net.IPv4(0, 0, 0, 0)
	case family == ecsFamily4 && source <= 32 && scope <= 32:
		d.address[10], d.address[11] = 0xff, 0xff // a 16-byte IPv4 address, as net.IP.To16 gives
		copy(d.address[12:], b[4:])
	case family == ecsFamily6 && source <= 128 && scope <= 128:
		copy(d.address[:], b[4:])
	default:
		return false
	}
	d.subnet.Address = d.address[:]
	return true
}
