package upstream

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"testing"
	"time"
)

// FuzzResponse feeds arbitrary bytes to the client as an endpoint's
// answer: it never panics or hangs, and a body it hands out reads to an
// end (TestHeaderBound holds the header limit).
func FuzzResponse(f *testing.F) {
	for _, s := range []string{
		"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n",
		"HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n",
		"HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\nConnection: Upgrade\r\n\r\nraw",
		"HTTP/1.0 200 OK\r\n\r\nuntil close",
		"HTTP/1.1 200 OK\r\nContent-Length: 99999999\r\n\r\nshort",
		"garbage", "",
	} {
		f.Add([]byte(s))
	}
	const limit = 4 << 10
	p := New(Options{Timeout: 2 * time.Second, MaxHeaderBytes: limit})
	f.Fuzz(func(t *testing.T, answer []byte) {
		client, server := net.Pipe()
		defer client.Close()
		go func() {
			defer server.Close()
			http.ReadRequest(bufio.NewReader(server))
			server.Write(answer)
		}()
		lim := &headerLimit{r: client}
		c := &conn{nc: client, lim: lim, br: bufio.NewReader(lim), bw: bufio.NewWriter(client)}
		req, _ := http.NewRequest("GET", "http://endpoint/", nil)
		resp, err := p.exchange(c, req, false, func() bool { return true })
		if err != nil {
			return
		}
		io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
		resp.Body.Close()
	})
}
