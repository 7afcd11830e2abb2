package probe

import (
	"bufio"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"

	"outlast/internal/config"
	"outlast/internal/model"
)

// garbageServer answers every connection with reply once the request head
// has arrived, then closes it: a peer that speaks something other than HTTP.
func garbageServer(t *testing.T, reply string) Target {
	t.Helper()
	return rawServer(t, func(conn net.Conn) {
		defer conn.Close()
		if _, err := http.ReadRequest(bufio.NewReader(conn)); err != nil {
			t.Errorf("garbage server: reading the probe's request: %v", err)
		}
		io.WriteString(conn, reply)
	})
}

// A peer that answers with bytes that are not HTTP is a protocol failure,
// told apart by the probe where it reads the answer, not by net/http's
// wording.
func TestHTTPGarbageIsProtocol(t *testing.T) {
	for _, reply := range []string{"HELLO\r\n\r\n", "SSH-2.0-OpenSSH_9.6\r\n", "HTTP/1.1 abc OK\r\n\r\n"} {
		t.Run(strings.TrimSpace(reply), func(t *testing.T) {
			res := probeTimed(t, HTTP, garbageServer(t, reply), check(config.CheckHTTP))
			wantResult(t, res, false, model.ReasonProtocol)
		})
	}
}

// A peer that closes before answering is a reset, not a protocol failure:
// readResponse must leave the connection's own errors alone.
func TestHTTPCloseBeforeAnswerIsReset(t *testing.T) {
	res := probeTimed(t, HTTP, garbageServer(t, ""), check(config.CheckHTTP))
	wantResult(t, res, false, model.ReasonReset)
}

func TestReadResponseMarksOnlyParseFailures(t *testing.T) {
	req, err := http.NewRequest("GET", "http://192.0.2.1/", nil)
	if err != nil {
		t.Fatal(err)
	}
	read := func(answer string) error {
		_, err := readResponse(bufio.NewReader(strings.NewReader(answer)), req)
		return err
	}
	var pe *protocolError
	if err := read("HELLO\r\n\r\n"); !errors.As(err, &pe) {
		t.Errorf("garbage: got %v (%T), want a *protocolError", err, err)
	}
	if err := read("HTTP/1.1 200 OK\r\n"); !errors.Is(err, io.ErrUnexpectedEOF) || errors.As(err, &pe) {
		t.Errorf("head cut short: got %v (%T), want io.ErrUnexpectedEOF, unmarked", err, err)
	}
}
