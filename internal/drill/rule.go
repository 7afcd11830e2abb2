package drill

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"

	"outlast/internal/config"
	"outlast/internal/model"
	"outlast/internal/state"
	"outlast/internal/wire"
)

// Refusals of Check, wrapped with the names involved.
var (
	// ErrUnknownEndpoint: no service lists the endpoint.
	ErrUnknownEndpoint = errors.New("drill: no such endpoint")
	// ErrLastHealthy: no other endpoint of the service is up, so forcing
	// this one down would leave the name with nothing healthy.
	ErrLastHealthy = errors.New("drill: refusing to remove the last healthy endpoint")
	// ErrNotServing: the endpoint is not up, so there is no traffic to shift.
	ErrNotServing = errors.New("drill: the endpoint is not up")
	// ErrHasOverride: an operator's override is in force on the endpoint; the
	// drill's own would replace it and its undo would remove it.
	ErrHasOverride = errors.New("drill: the endpoint already has an override")
	// ErrPrimary: the endpoint belongs to a policy primary service, where
	// forcing it down promotes another server through its hooks: a real
	// failover of the database, not a drill.
	ErrPrimary = errors.New("drill: the endpoint belongs to a primary service")
)

// Plan is what a drill of one endpoint touches: the service that answers
// with it, the record type asked, and the addresses that must leave the
// answers and come back.
type Plan struct {
	Endpoint string
	Service  string
	Type     model.RecordType
	Addrs    []netip.Addr
}

// Check applies the safety rule to the agreed health the API reports. The
// drill may go ahead when the endpoint is up, carries no override in force,
// and its service has another endpoint that is up and not drained (by the
// configuration or by an override). An endpoint whose health is unknown
// does not count: nobody has seen it serve.
func Check(services []wire.Service, endpoint string) (Plan, error) {
	svc, e := find(services, endpoint)
	if e == nil {
		return Plan{}, fmt.Errorf("%w: %q is in no service the node reports", ErrUnknownEndpoint, endpoint)
	}
	name := strings.TrimSuffix(svc.Name, ".")
	if svc.Policy == config.PolicyPrimary {
		return Plan{}, fmt.Errorf("%w: forcing %s down would promote another endpoint of %s through its on_promote hook; "+
			"for a planned switchover use outlast primary set ENDPOINT --reason TEXT", ErrPrimary, endpoint, name)
	}
	if active(e.Override) {
		return Plan{}, fmt.Errorf("%w: %s is under %s by %s (%s); clear it first", ErrHasOverride,
			endpoint, e.Override.Kind, e.Override.Who, e.Override.Why)
	}
	if !serving(e) {
		return Plan{}, fmt.Errorf("%w: %s of %s is %s (drained %v): there is no traffic to shift away", ErrNotServing,
			endpoint, name, e.Health, e.Drained)
	}
	for i := range svc.Endpoints {
		if other := &svc.Endpoints[i]; other.Name != endpoint && serving(other) {
			return Plan{Endpoint: endpoint, Service: svc.Name, Type: svc.Type, Addrs: e.Addresses}, nil
		}
	}
	return Plan{}, fmt.Errorf("%w: %s is the only healthy endpoint of %s; forcing it down would remove the last healthy endpoint",
		ErrLastHealthy, endpoint, name)
}

func find(services []wire.Service, endpoint string) (*wire.Service, *wire.Endpoint) {
	for i := range services {
		for j := range services[i].Endpoints {
			if services[i].Endpoints[j].Name == endpoint {
				return &services[i], &services[i].Endpoints[j]
			}
		}
	}
	return nil, nil
}

// serving reports whether steering may answer with e: up, and drained
// neither by the configuration nor by an override in force.
func serving(e *wire.Endpoint) bool {
	drained := e.Drained || (active(e.Override) && e.Override.Kind == state.Drain)
	return e.Health == "up" && !drained
}

func active(o *wire.Override) bool { return o != nil && o.Active }
