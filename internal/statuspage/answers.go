package statuspage

import (
	"cmp"
	"slices"
	"strings"

	"outlast/internal/config"
	"outlast/internal/model"
	"outlast/internal/wire"
)

// answerView is one row of the answers table: what one name answers one
// group of clients. A geo name has one row per client area.
type answerView struct {
	Name, Type, Mode string
	TTL              uint32
	// Geo is true for a name answered per client area; Area is the row's
	// area then ("" for clients in no area), and Clients says it in words:
	// the area's name, "clients in no area", or "all clients" for a name
	// that answers every client alike.
	Geo           bool
	Area, Clients string
	// Normal is false for every mode but healthy, which the page flags;
	// Meaning then says what the mode answers and why.
	Normal  bool
	Meaning string
	// Addrs are the answer's addresses; Target its CNAME target. Pools
	// replace both in a weighted answer.
	Addrs, Target string
	Pools         []poolView
	// Nothing says what an answer without records gives: NODATA, or
	// SERVFAIL when nothing could be resolved.
	Nothing string
}

// poolView is one pool of a weighted answer: its addresses, or its CNAME target.
type poolView struct {
	Endpoint, Addrs, Target string
	Weight                  uint32
}

// Client groups as the answers table names them.
const (
	clientsAll    = "all clients"
	clientsNoArea = "clients in no area"
)

// areaQueryView is one row of the geo queries table.
type areaQueryView struct {
	Area, Clients string
	Queries       uint64
}

// areaQueries are the rows of the geo queries table, in the API's order
// (by area, so clients in no area first).
func areaQueries(in []wire.AreaQueries) []areaQueryView {
	out := make([]areaQueryView, 0, len(in))
	for _, q := range in {
		out = append(out, areaQueryView{Area: q.Area, Clients: clientsOf(q.Area, true), Queries: q.Queries})
	}
	return out
}

// modeMeanings say what each mode other than healthy answers, and why.
var modeMeanings = map[model.AnswerMode]string{
	model.ModePanic:      "too few endpoints up: answering every one not drained",
	model.ModeServeAll:   "every endpoint down: answering all of them",
	model.ModeFallback:   "every endpoint down: answering the fallback addresses",
	model.ModeEmpty:      "every endpoint down and the service fails closed: answering no address",
	model.ModeUnresolved: "no target hostname resolved: answering SERVFAIL so that resolvers cache nothing and try again",
}

// answers are the rows of the answers table, sorted by name, type, then
// area (clients in no area first). A name is shown per area when it has
// an answer for an area or its service has policy geo (geo names).
func answers(in []model.Answer, geo map[string]bool) []answerView {
	for _, a := range in {
		if a.Area != "" {
			geo[a.Name] = true
		}
	}
	out := make([]answerView, 0, len(in))
	for _, a := range in {
		out = append(out, answerOf(a, geo[a.Name]))
	}
	slices.SortStableFunc(out, func(a, b answerView) int {
		return cmp.Or(strings.Compare(a.Name, b.Name), strings.Compare(a.Type, b.Type), strings.Compare(a.Area, b.Area))
	})
	return out
}

func answerOf(a model.Answer, geo bool) answerView {
	av := answerView{Name: a.Name, Type: string(a.Type), Mode: string(a.Mode), TTL: a.TTL,
		Geo: geo, Area: a.Area, Clients: clientsOf(a.Area, geo),
		Normal: a.Mode == model.ModeHealthy, Meaning: modeMeanings[a.Mode],
		Addrs: addrText(a.Addrs), Target: a.Target, Nothing: "no addresses (NODATA)"}
	if a.Mode == model.ModeUnresolved {
		av.Nothing = "nothing resolved (SERVFAIL)"
	}
	for _, p := range a.Pools {
		av.Pools = append(av.Pools, poolView{Endpoint: p.Endpoint, Weight: p.Weight, Addrs: addrText(p.Addrs), Target: p.Target})
	}
	return av
}

func clientsOf(area string, geo bool) string {
	switch {
	case !geo:
		return clientsAll
	case area == "":
		return clientsNoArea
	default:
		return area
	}
}

// geoNames are the names of the services with policy geo.
func geoNames(services []config.Service) map[string]bool {
	out := map[string]bool{}
	for _, s := range services {
		if s.Policy == config.PolicyGeo {
			out[s.Name] = true
		}
	}
	return out
}
