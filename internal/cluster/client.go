package cluster

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
)

// Client speaks the cluster RPC from outside a running node: the
// `outlast cluster` commands, with a node's certificate. Membership changes
// go to the leader; a member that is not the leader tells who is.
type Client struct {
	http *http.Client
}

// NewClient returns a client that dials members with clientTLS. It passes
// an empty server name: any node certificate from the cluster CA will do,
// since an operator names a member by address, not by node name.
func NewClient(clientTLS func(serverName string) *tls.Config) *Client {
	d := &dialer{clientTLS: clientTLS, serverName: func(string) string { return "" }, conns: newConnSet()}
	dial := func(ctx context.Context, _, addr string) (net.Conn, error) { return d.dial(ctx, addr, kindHTTP) }
	return &Client{http: &http.Client{Transport: &http.Transport{DialTLSContext: dial, DisableKeepAlives: true}}}
}

// Status asks the member at addr for its own view of the cluster.
func (c *Client) Status(ctx context.Context, addr string) (Status, error) {
	return statusWith(ctx, c.http, addr)
}

// Join asks the cluster, through the member at addr, to add node id at peerAddr as a voter.
func (c *Client) Join(ctx context.Context, addr, id, peerAddr string) error {
	return c.toLeader(ctx, addr, pathJoin, memberRequest{ID: id, Address: peerAddr})
}

// Remove asks the cluster, through the member at addr, to remove node id.
func (c *Client) Remove(ctx context.Context, addr, id string) error {
	return c.toLeader(ctx, addr, pathRemove, memberRequest{ID: id})
}

// Apply proposes a command to the cluster, through the member at addr (a
// drill's override, say). The Machine's refusal comes back as ErrRejected.
func (c *Client) Apply(ctx context.Context, addr string, command []byte) error {
	return c.toLeader(ctx, addr, pathApply, command)
}

// toLeader sends a request to addr, or to the leader addr names.
func (c *Client) toLeader(ctx context.Context, addr, path string, req any) error {
	_, err := callWith(ctx, c.http, addr, path, req)
	if !errors.Is(err, errTryAgain) {
		return err
	}
	st, serr := c.Status(ctx, addr)
	if serr != nil {
		return errors.Join(err, serr)
	}
	if st.LeaderAddress == "" || st.LeaderAddress == addr {
		return fmt.Errorf("cluster: %s: %w (asked %s)", path, ErrNoLeader, addr)
	}
	_, err = callWith(ctx, c.http, st.LeaderAddress, path, req)
	return err
}
