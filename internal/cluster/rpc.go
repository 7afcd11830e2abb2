package cluster

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/hashicorp/raft"
)

// The cluster RPC's own routes; every other path goes to Options.Handler.
const (
	pathPrefix = "/cluster/v1/"
	pathApply  = pathPrefix + "apply"
	pathJoin   = pathPrefix + "join"
	pathRemove = pathPrefix + "remove"
	pathStatus = pathPrefix + "status"

	// maxBody bounds a command forwarded to /apply and a Fetch body read
	// off the wire. A command is a few hundred bytes, a whole configuration
	// far less than this.
	maxBody = 16 << 20
	// maxReplyBody bounds a reply to a forwarded call or a Post: a code,
	// an index and an error text.
	maxReplyBody = 64 << 10
	// maxStatusBody bounds a peer's Status: maxStatusMembers members of a
	// few hundred bytes each, read before any of them is decoded.
	maxStatusBody = 256 << 10
	// maxMemberBody bounds a /join or /remove request: an ID and an address.
	maxMemberBody = 4 << 10
	// maxMemberID bounds a node ID in a member request.
	maxMemberID = 255
	// maxReplyError bounds the error text of a reply kept in an error.
	maxReplyError = 1 << 10
	// maxRejectionCode bounds the Machine's code of a refusal: a short name.
	maxRejectionCode = 64
	// maxStatusMembers bounds the members a peer's Status may list.
	maxStatusMembers = 256
)

// reply is the answer of the leader to a forwarded proposal.
type reply struct {
	Code  string `json:"code"`
	Error string `json:"error,omitempty"`
	// Rejection is the Machine's code for a refusal (Code rejected), when
	// its error had one: what the proposer matches on, not Error's text.
	Rejection string `json:"rejection,omitempty"`
	// Index is the log index a committed command got (apply only).
	Index uint64 `json:"index,omitempty"`
}

// Reply codes: the proposal was done, surely not taken (ask again, maybe
// elsewhere), refused by the Machine, of unknown outcome, or failed.
const (
	codeOK        = "ok"
	codeRetry     = "retry"
	codeRejected  = "rejected"
	codeUncertain = "uncertain"
	codeFailed    = "failed"
)

// memberRequest is the body of /join and /remove.
type memberRequest struct {
	ID      string `json:"id"`
	Address string `json:"address,omitempty"`
}

// PeerName returns the node that sent a cluster RPC request: the common
// name of its verified client certificate, or this node's own ID when Post
// handed the request to Options.Handler in-process on the leader.
func PeerName(r *http.Request) string {
	if id, ok := r.Context().Value(selfKey{}).(string); ok {
		return id
	}
	if r.TLS == nil {
		return ""
	}
	return peerCN(*r.TLS)
}

// selfKey marks a request Post delivered locally.
type selfKey struct{}

func peerCN(cs tls.ConnectionState) string {
	if len(cs.VerifiedChains) == 0 || len(cs.VerifiedChains[0]) == 0 {
		return ""
	}
	return cs.VerifiedChains[0][0].Subject.CommonName
}

func (c *Cluster) rpcHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+pathApply, c.serveApply)
	mux.HandleFunc("POST "+pathJoin, c.serveMember)
	mux.HandleFunc("POST "+pathRemove, c.serveMember)
	mux.HandleFunc("GET "+pathStatus, func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, c.Status())
	})
	mux.Handle(pathPrefix, http.NotFoundHandler())
	if c.handler != nil {
		mux.Handle("/", c.handler)
	}
	return withProtocol(mux, c.protocol)
}

func (c *Cluster) serveApply(w http.ResponseWriter, r *http.Request) {
	command, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		writeJSON(w, http.StatusBadRequest, reply{Code: codeFailed, Error: err.Error()})
		return
	}
	c.answer(w, r, func(ctx context.Context) (uint64, error) { return c.applyLocal(ctx, command) })
}

func (c *Cluster) serveMember(w http.ResponseWriter, r *http.Request) {
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxMemberBody))
	var m memberRequest
	if err == nil {
		m, err = decodeMember(data, r.URL.Path == pathJoin)
	}
	if err != nil {
		writeJSON(w, http.StatusBadRequest, reply{Code: codeFailed, Error: fmt.Sprintf("bad member request: %v", err)})
		return
	}
	if r.URL.Path == pathRemove {
		c.answer(w, r, func(ctx context.Context) (uint64, error) { return 0, c.removeLocal(ctx, m.ID) })
		return
	}
	c.answer(w, r, func(ctx context.Context) (uint64, error) { return 0, c.joinLocal(ctx, m.ID, m.Address) })
}

// decodeMember decodes the body of /join (join true) or /remove: one JSON
// object with the member's ID, and for a join the address it is reached at.
func decodeMember(data []byte, join bool) (memberRequest, error) {
	var m memberRequest
	if err := decodeStrict(data, &m); err != nil {
		return m, err
	}
	switch {
	case m.ID == "":
		return m, errors.New("id is required")
	case len(m.ID) > maxMemberID || !printable(m.ID):
		return m, fmt.Errorf("id must be at most %d printable characters", maxMemberID)
	case join && m.Address == "":
		return m, errors.New("address is required to join")
	}
	if m.Address != "" {
		if _, _, err := net.SplitHostPort(m.Address); err != nil || !printable(m.Address) {
			return m, fmt.Errorf("address %.64q must be host:port", m.Address)
		}
	}
	return m, nil
}

// decodeStrict decodes one JSON value of data into v: unknown fields and
// anything after the value are errors.
func decodeStrict(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("data after the JSON value")
	}
	return nil
}

// printable reports whether s is valid UTF-8 without control characters.
func printable(s string) bool {
	return utf8.ValidString(s) && !strings.ContainsFunc(s, unicode.IsControl)
}

// answer runs a forwarded proposal if this node leads and replies with its
// outcome; a follower says "retry", and the sender looks for the leader again.
func (c *Cluster) answer(w http.ResponseWriter, r *http.Request, propose func(context.Context) (uint64, error)) {
	if c.raft.State() != raft.Leader {
		writeJSON(w, http.StatusMisdirectedRequest, reply{Code: codeRetry, Error: "not the leader"})
		return
	}
	c.logger.Debug("cluster: forwarded proposal", "path", r.URL.Path, "from", PeerName(r))
	index, err := propose(r.Context())
	var rej *rejectedError
	switch {
	case err == nil:
		writeJSON(w, http.StatusOK, reply{Code: codeOK, Index: index})
	case errors.Is(err, errTryAgain):
		writeJSON(w, http.StatusMisdirectedRequest, reply{Code: codeRetry, Error: err.Error()})
	case errors.As(err, &rej):
		writeJSON(w, http.StatusConflict, reply{Code: codeRejected, Error: rej.text, Rejection: rej.code})
	case errors.Is(err, ErrUncertain), errors.Is(err, ErrShutdown):
		// Raft had the proposal when it stopped: the others may commit it.
		writeJSON(w, http.StatusServiceUnavailable, reply{Code: codeUncertain, Error: err.Error()})
	default:
		writeJSON(w, http.StatusInternalServerError, reply{Code: codeFailed, Error: err.Error()})
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// call forwards a proposal to the node at addr and decodes its reply.
func (c *Cluster) call(ctx context.Context, addr, path string, in any) error {
	_, err := callWith(ctx, c.net.proposer, addr, path, in)
	return err
}

// callWith sends a proposal to the node at addr over client and decodes its
// reply: the log index the command got, for an apply.
func callWith(ctx context.Context, client *http.Client, addr, path string, in any) (uint64, error) {
	body, ok := in.([]byte)
	if !ok {
		var err error
		if body, err = json.Marshal(in); err != nil {
			return 0, fmt.Errorf("cluster: %s: %w", path, err)
		}
	}
	req, err := newRequest(ctx, http.MethodPost, addr, path, body)
	if err != nil {
		return 0, err
	}
	status, data, err := roundTrip(client, req, maxReplyBody)
	if err != nil {
		return 0, err
	}
	rep, err := decodeReply(data)
	if err != nil {
		return 0, fmt.Errorf("cluster: %s at %s: %w: bad reply (status %d): %w", path, addr, ErrUncertain, status, err)
	}
	switch rep.Code {
	case codeOK:
		return rep.Index, nil
	case codeRetry:
		return 0, fmt.Errorf("%w: %s at %s: %s", errTryAgain, path, addr, rep.Error)
	case codeRejected:
		return 0, &rejectedError{code: rep.Rejection, text: rep.Error}
	case codeUncertain:
		return 0, fmt.Errorf("cluster: %s at %s: %w: %s", path, addr, ErrUncertain, rep.Error)
	}
	return 0, fmt.Errorf("cluster: %s at %s: %s", path, addr, rep.Error)
}

// decodeReply decodes the leader's reply to a forwarded proposal; its
// error text is cut to maxReplyError bytes, and a rejection code that is
// no short printable name is refused.
func decodeReply(data []byte) (reply, error) {
	var rep reply
	if err := json.Unmarshal(data, &rep); err != nil {
		return reply{}, err
	}
	if rep.Code == "" {
		return reply{}, errors.New("no code")
	}
	if len(rep.Rejection) > maxRejectionCode || !printable(rep.Rejection) {
		return reply{}, fmt.Errorf("rejection code %.64q is not a short printable name", rep.Rejection)
	}
	if len(rep.Error) > maxReplyError {
		rep.Error = strings.ToValidUTF8(rep.Error[:maxReplyError], "") + "..."
	}
	return rep, nil
}

// newRequest builds a request to the cluster RPC at addr.
func newRequest(ctx context.Context, method, addr, path string, body []byte) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, method, "https://"+addr+path, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("cluster: %s: %w", path, err)
	}
	return req, nil
}

// roundTrip sends one request over the cluster RPC and reads at most limit
// bytes of the answer. A failure to connect says try again; a failure
// after that leaves the outcome unknown.
func roundTrip(client *http.Client, req *http.Request, limit int64) (int, []byte, error) {
	addr, path := req.URL.Host, req.URL.Path
	resp, err := client.Do(req)
	if err != nil {
		var de *dialError
		if errors.As(err, &de) {
			return 0, nil, fmt.Errorf("%w: %s unreachable: %w", errTryAgain, addr, de)
		}
		return 0, nil, fmt.Errorf("cluster: %s at %s: %w: %w", path, addr, ErrUncertain, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, limit))
	if err != nil {
		return 0, nil, fmt.Errorf("cluster: %s at %s: %w: %w", path, addr, ErrUncertain, err)
	}
	return resp.StatusCode, data, nil
}

// Post sends body to Options.Handler on the leader, at path (outside
// /cluster/v1/), and waits for its answer: a follower's observations go to
// the leader this way. On the leader the Handler is called in-process.
// Post reuses connections and may deliver a request twice (when a kept
// connection dies under it); the request's Idempotency-Key header tells
// the copies apart.
// A 2xx answer is success; 421 Misdirected Request from the Handler (say,
// a leader not yet ready) means "look for the leader again" and is
// retried like a missing leader; any other status is an error carrying
// the status and the start of the body. Errors otherwise as for Apply.
func (c *Cluster) Post(ctx context.Context, path string, body []byte) error {
	if !strings.HasPrefix(path, "/") || strings.HasPrefix(path, pathPrefix) {
		return fmt.Errorf("cluster: post: path %q must start with / and lie outside %s", path, pathPrefix)
	}
	return c.onLeader(ctx, "post "+path,
		func(ctx context.Context) error { return c.postLocal(ctx, path, body) },
		func(ctx context.Context, addr string) error {
			req, err := newRequest(ctx, http.MethodPost, addr, path, body)
			if err != nil {
				return err
			}
			// The key makes net/http resend the request when a kept
			// connection turns out dead, which it does not do for a POST.
			req.Header.Set("Idempotency-Key", rand.Text())
			status, data, err := roundTrip(c.net.client, req, maxReplyBody)
			if err != nil {
				return err
			}
			return postResult(path, status, data)
		})
}

// postLocal hands a Post to this node's own Handler.
func (c *Cluster) postLocal(ctx context.Context, path string, body []byte) error {
	if c.handler == nil {
		return fmt.Errorf("cluster: post %s: no handler", path)
	}
	req, err := http.NewRequestWithContext(context.WithValue(ctx, selfKey{}, c.id), http.MethodPost, path, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("cluster: post %s: %w", path, err)
	}
	rec := &recorder{header: http.Header{}, status: http.StatusOK}
	c.handler.ServeHTTP(rec, req)
	return postResult(path, rec.status, rec.body.Bytes())
}

func postResult(path string, status int, data []byte) error {
	switch {
	case status >= 200 && status < 300:
		return nil
	case status == http.StatusMisdirectedRequest:
		return fmt.Errorf("%w: post %s: leader not ready", errTryAgain, path)
	}
	const keep = 256
	if len(data) > keep {
		data = data[:keep]
	}
	return fmt.Errorf("cluster: post %s: status %d: %s", path, status, bytes.TrimSpace(data))
}

// recorder is the ResponseWriter for a Post served in-process.
type recorder struct {
	header http.Header
	status int
	wrote  bool
	body   bytes.Buffer
}

func (r *recorder) Header() http.Header { return r.header }

func (r *recorder) WriteHeader(status int) {
	if !r.wrote {
		r.status, r.wrote = status, true
	}
}

func (r *recorder) Write(p []byte) (int, error) {
	r.wrote = true
	return r.body.Write(p)
}

// PeerStatus asks the member at addr for its own Status over the cluster
// RPC (what `outlast cluster status` shows for every node).
func (c *Cluster) PeerStatus(ctx context.Context, addr string) (Status, error) {
	if c.net == nil {
		return Status{}, fmt.Errorf("cluster: status of %s: %w", addr, ErrNoRPC)
	}
	return statusWith(ctx, c.net.client, addr)
}

// statusWith asks the member at addr for its Status over client.
func statusWith(ctx context.Context, client *http.Client, addr string) (Status, error) {
	req, err := newRequest(ctx, http.MethodGet, addr, pathStatus, nil)
	if err != nil {
		return Status{}, err
	}
	status, data, err := roundTrip(client, req, maxStatusBody)
	if err != nil {
		return Status{}, fmt.Errorf("cluster: status of %s: %w", addr, err)
	}
	if status != http.StatusOK {
		return Status{}, fmt.Errorf("cluster: status of %s: status %d", addr, status)
	}
	s, err := decodeStatus(data)
	if err != nil {
		return Status{}, fmt.Errorf("cluster: status of %s: %w", addr, err)
	}
	return s, nil
}

// decodeStatus decodes a peer's Status, of at most maxStatusMembers members;
// the caller read at most maxStatusBody bytes of it.
func decodeStatus(data []byte) (Status, error) {
	var s Status
	if err := json.Unmarshal(data, &s); err != nil {
		return Status{}, err
	}
	if len(s.Members) > maxStatusMembers {
		return Status{}, fmt.Errorf("%d members listed, at most %d expected", len(s.Members), maxStatusMembers)
	}
	return s, nil
}

// Fetch GETs path from Options.Handler on the leader and returns the body:
// a follower reads what only the leader knows this way (the latest probe
// results of every node). On the leader the Handler is called in-process.
// Errors as for Post.
func (c *Cluster) Fetch(ctx context.Context, path string) ([]byte, error) {
	if !strings.HasPrefix(path, "/") || strings.HasPrefix(path, pathPrefix) {
		return nil, fmt.Errorf("cluster: fetch: path %q must start with / and lie outside %s", path, pathPrefix)
	}
	var body []byte
	err := c.onLeader(ctx, "fetch "+path,
		func(ctx context.Context) error {
			if c.handler == nil {
				return fmt.Errorf("cluster: fetch %s: no handler", path)
			}
			req, err := http.NewRequestWithContext(context.WithValue(ctx, selfKey{}, c.id), http.MethodGet, path, nil)
			if err != nil {
				return fmt.Errorf("cluster: fetch %s: %w", path, err)
			}
			rec := &recorder{header: http.Header{}, status: http.StatusOK}
			c.handler.ServeHTTP(rec, req)
			body = rec.body.Bytes()
			return postResult(path, rec.status, body)
		},
		func(ctx context.Context, addr string) error {
			req, err := newRequest(ctx, http.MethodGet, addr, path, nil)
			if err != nil {
				return err
			}
			status, data, err := roundTrip(c.net.client, req, maxBody)
			if err != nil {
				return err
			}
			body = data
			return postResult(path, status, data)
		})
	return body, err
}
