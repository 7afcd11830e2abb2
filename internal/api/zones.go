package api

import (
	"net/http"

	"outlast/internal/wire"
)

// zones is GET /api/v1/zones: the node's published facts of each zone it
// serves. Its size is bounded by the configuration's (config.MaxFileSize):
// one entry per zone, per key, per allow rule and per notify target.
func (h *Handler) zones(w http.ResponseWriter, _ *http.Request) {
	out := struct {
		Zones []wire.ZoneStatus `json:"zones"`
	}{Zones: h.b.Zones()}
	if out.Zones == nil {
		out.Zones = []wire.ZoneStatus{}
	}
	writeJSON(w, http.StatusOK, out)
}
