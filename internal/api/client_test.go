package api

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"outlast/internal/model"
	"outlast/internal/state"
	"outlast/internal/wire"
)

func TestClientReads(t *testing.T) {
	s := serve(t, sample(t), false)
	c := wire.NewClient(s.Listener.Addr().String(), readToken) // host:port, plain HTTP
	ctx := context.Background()

	st, err := c.Status(ctx)
	if err != nil || st.Node.Name != "n-aws" || st.Cluster.Leader != "n-gcp" || len(st.Cluster.Members) != 3 {
		t.Errorf("Status: %+v, %v", st, err)
	}
	services, err := c.Services(ctx)
	if err != nil || len(services) != 2 || services[0].Endpoints[0].Health != "down" || len(services[0].Endpoints[0].Evidence) != 3 {
		t.Errorf("Services: %+v, %v", services, err)
	}
	svc, err := c.Service(ctx, "www.example.test")
	if err != nil || svc.Policy != "weighted" || len(svc.Endpoints) != 2 {
		t.Errorf("Service: %+v, %v", svc, err)
	}
	answers, err := c.Answers(ctx)
	if err != nil || len(answers) != 2 || answers[1].Pools[0].Weight != 3 {
		t.Errorf("Answers: %+v, %v", answers, err)
	}
	overrides, err := c.Overrides(ctx)
	if err != nil || overrides == nil || len(overrides) != 0 {
		t.Errorf("Overrides: %+v, %v; want an empty list", overrides, err)
	}
	page, err := c.Events(ctx, -1, 2)
	if err != nil || len(page.Events) != 2 || !page.More || page.Next != int64(page.Events[1].Seq) {
		t.Errorf("Events: %+v, %v", page, err)
	}
	doc, err := c.Config(ctx)
	if err != nil || doc.Version != 1 || doc.Config.Hash() != doc.Hash {
		t.Errorf("Config: %+v, %v", doc, err)
	}
	_, err = c.Service(ctx, "nothing.example.test")
	var apiErr *wire.Error
	if !errors.As(err, &apiErr) || apiErr.Status != 404 || apiErr.Code != wire.CodeUnknownService || !strings.Contains(apiErr.Message, "nothing.example.test.") {
		t.Errorf("unknown service: %v, want an *Error 404 unknown_service naming it", err)
	}
}

func TestClientWrites(t *testing.T) {
	f := sample(t)
	s := serve(t, f, false)
	ctx := context.Background()
	admin := wire.NewClient(s.URL, adminToken)

	o, err := admin.SetOverride(ctx, wire.OverrideRequest{Endpoint: "usc1", Kind: state.ForceUp, Reason: "probe bug", For: "1h"})
	if err != nil || o.Who != "alice" || o.Why != "probe bug" || !o.Expires.Equal(t0.Add(time.Hour)) {
		t.Fatalf("SetOverride: %+v, %v", o, err)
	}
	reader := wire.NewClient(s.URL+"/", readToken) // a trailing slash is fine
	if list, err := reader.Overrides(ctx); err != nil || len(list) != 1 || list[0].Kind != state.ForceUp {
		t.Errorf("Overrides after set: %+v, %v", list, err)
	}
	_, err = reader.SetOverride(ctx, wire.OverrideRequest{Endpoint: "usc1", Kind: state.Drain, Reason: "x"})
	if !wire.IsStatus(err, http.StatusForbidden) {
		t.Errorf("read token writing: %v, want 403", err)
	}
	if cleared, err := admin.ClearOverride(ctx, "usc1", "fixed"); err != nil || cleared.Kind != state.ForceUp {
		t.Errorf("ClearOverride: %+v, %v", cleared, err)
	}
	if _, err := admin.ClearOverride(ctx, "usc1", "again"); !wire.IsStatus(err, 404) {
		t.Errorf("clearing twice: %v, want 404", err)
	}
	last := f.State().Events[len(f.State().Events)-1]
	if last.Kind != "clear-force-up" || last.Who != "alice" || last.Why != "fixed" {
		t.Errorf("last event %+v, want alice's clearing because fixed", last)
	}

	v, err := admin.ValidateConfig(ctx, []byte("zones: ["))
	if err != nil || v.Valid || len(v.Problems) != 1 {
		t.Errorf("ValidateConfig of a broken file: %+v, %v; want Valid false with its problem, no error", v, err)
	}
	v, err = admin.ValidateConfig(ctx, []byte(edited))
	if err != nil || !v.Valid || v.Hash == "" {
		t.Errorf("ValidateConfig: %+v, %v", v, err)
	}
	applied, err := admin.ApplyConfig(ctx, []byte(edited), 1, "longer ttl")
	if err != nil || applied.Version != 2 || !applied.Changed {
		t.Errorf("ApplyConfig: %+v, %v", applied, err)
	}
	_, err = admin.ApplyConfig(ctx, []byte(configYAML), 1, "stale edit")
	var apiErr *wire.Error
	if !errors.As(err, &apiErr) || apiErr.Status != 409 || apiErr.Code != wire.CodeVersionConflict {
		t.Errorf("ApplyConfig from a stale version: %v, want 409 version_conflict", err)
	}
	_, err = admin.ApplyConfig(ctx, []byte("services: 3"), 2, "bad")
	if !errors.As(err, &apiErr) || apiErr.Status != 422 || len(apiErr.Problems) == 0 {
		t.Errorf("ApplyConfig of an invalid file: %v, want 422 with problems", err)
	}
}

func TestClientAuthErrors(t *testing.T) {
	s := serve(t, sample(t), true)
	ctx := context.Background()
	if _, err := wire.NewClient(s.URL, "").Status(ctx); err != nil {
		t.Errorf("public read without a token: %v", err)
	}
	_, err := wire.NewClient(s.URL, "").SetOverride(ctx, wire.OverrideRequest{Endpoint: "use1", Kind: state.Drain, Reason: "x"})
	var apiErr *wire.Error
	if !errors.As(err, &apiErr) || apiErr.Status != 401 || apiErr.Code != wire.CodeUnauthorized {
		t.Errorf("public write without a token: %v, want 401", err)
	}
	if _, err := wire.NewClient(s.URL, "wrong").Status(ctx); !wire.IsStatus(err, 401) {
		t.Errorf("wrong token: %v, want 401", err)
	}
}

// The CLI talks to a node over HTTPS with the cluster's private CA, or
// through a proxy that serves the API under a prefix.
func TestClientTLSAndPrefix(t *testing.T) {
	mux := http.NewServeMux()
	mux.Handle("/outlast/", http.StripPrefix("/outlast", New(sample(t), apiConfig(false), nil)))
	srv := httptest.NewUnstartedServer(mux)
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshake below is expected
	srv.StartTLS()
	defer srv.Close()
	ctx := context.Background()

	if _, err := wire.NewClient(srv.URL+"/outlast", readToken).Status(ctx); err == nil {
		t.Error("a certificate from an unknown CA was accepted without a TLS config")
	}
	pool := x509.NewCertPool()
	pool.AddCert(srv.Certificate())
	c := wire.NewClient(srv.URL+"/outlast", readToken, wire.WithTLSConfig(&tls.Config{RootCAs: pool}))
	defer c.CloseIdleConnections()
	st, err := c.Status(ctx)
	if err != nil || st.Node.Location != (model.Location{Provider: "aws", Region: "us-east-1"}) {
		t.Errorf("Status over HTTPS under a prefix: %+v, %v", st, err)
	}
}
