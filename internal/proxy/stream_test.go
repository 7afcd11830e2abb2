package proxy

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/net/websocket"
)

// TestWebSocketPassesThrough: a WebSocket upgrade goes through the proxy
// and messages flow both ways over it.
func TestWebSocketPassesThrough(t *testing.T) {
	bs, port := backends(t, "aws/us-east-1")
	echo := websocket.Handler(func(ws *websocket.Conn) { io.Copy(ws, ws) })
	bs[0].serve(t, port, echo.ServeHTTP)
	_, addr := start(t, Options{}, port, planOf(bs))

	cfg, err := websocket.NewConfig("ws://www.example.test/echo", "http://www.example.test/")
	if err != nil {
		t.Fatal(err)
	}
	conn, err := net.DialTimeout("tcp", addr, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	ws, err := websocket.NewClient(cfg, conn) // Host: www.example.test, the route's
	if err != nil {
		conn.Close()
		t.Fatalf("WebSocket handshake through the proxy: %v", err)
	}
	defer ws.Close()
	for i := range 5 {
		sent := fmt.Sprintf("message %d", i)
		if err := websocket.Message.Send(ws, sent); err != nil {
			t.Fatalf("round trip %d: sending: %v", i, err)
		}
		var got string
		if err := websocket.Message.Receive(ws, &got); err != nil {
			t.Fatalf("round trip %d: receiving (10 s bound): %v", i, err)
		}
		if got != sent {
			t.Fatalf("round trip %d: got %q back, want %q", i, got, sent)
		}
	}
}

// streamBackend answers with first, flushed, then waits until release is
// closed (or the request ends) before it writes rest: a client can read
// first only if the proxy passes it on before the response is complete.
func streamBackend(contentType, first, rest string, release <-chan struct{}) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", contentType)
		io.WriteString(w, first)
		http.NewResponseController(w).Flush()
		select {
		case <-release:
		case <-r.Context().Done():
			return
		}
		io.WriteString(w, rest)
	}
}

// streamThrough requests / through the proxy at addr and reads the
// response with read, which must see the first part before the backend
// is released; it then reads to the end and returns what was left.
func streamThrough(t *testing.T, addr string, release chan struct{}, read func(*bufio.Reader) (string, error), want string) string {
	t.Helper()
	var once sync.Once
	free := func() { once.Do(func() { close(release) }) }
	t.Cleanup(free)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, "GET", "http://"+addr+"/", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Host = "www.example.test"
	c := newClient(t, addr)
	resp, err := c.http.Do(req)
	if err != nil {
		t.Fatalf("no response headers within 10 s while the backend holds the rest (the proxy buffers the response?): %v", err)
	}
	defer resp.Body.Close()
	br := bufio.NewReader(resp.Body)
	got, err := read(br)
	if err != nil || got != want {
		t.Fatalf("the first part: %q %v; want %q within 10 s while the backend holds the rest (the proxy buffers the response?)", got, err, want)
	}
	free()
	rest, err := io.ReadAll(br)
	if err != nil {
		t.Fatalf("the rest: %v", err)
	}
	return string(rest)
}

// TestStreamingNotBuffered: a response's first chunk reaches the client
// while the backend is still writing the response.
func TestStreamingNotBuffered(t *testing.T) {
	bs, port := backends(t, "aws/us-east-1")
	release := make(chan struct{})
	bs[0].serve(t, port, streamBackend("text/plain", "first chunk\n", "second chunk\n", release))
	_, addr := start(t, Options{}, port, planOf(bs))
	rest := streamThrough(t, addr, release, func(br *bufio.Reader) (string, error) { return br.ReadString('\n') }, "first chunk\n")
	if rest != "second chunk\n" {
		t.Errorf("after the release: %q, want %q", rest, "second chunk\n")
	}
}

// TestServerSentEvents: events of a text/event-stream reach the client
// one by one, while the stream stays open.
func TestServerSentEvents(t *testing.T) {
	bs, port := backends(t, "aws/us-east-1")
	release := make(chan struct{})
	bs[0].serve(t, port, streamBackend("text/event-stream", "event: tick\ndata: 1\n\n", "event: tick\ndata: 2\n\n", release))
	_, addr := start(t, Options{}, port, planOf(bs))
	readEvent := func(br *bufio.Reader) (string, error) {
		var ev strings.Builder
		for {
			line, err := br.ReadString('\n')
			ev.WriteString(line)
			if err != nil || line == "\n" {
				return ev.String(), err
			}
		}
	}
	rest := streamThrough(t, addr, release, readEvent, "event: tick\ndata: 1\n\n")
	if rest != "event: tick\ndata: 2\n\n" {
		t.Errorf("after the release: %q, want the second event", rest)
	}
}
