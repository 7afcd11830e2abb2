package api

import (
	"fmt"
	"net/http"
	"sort"
	"strconv"

	"outlast/internal/wire"
)

// Event page sizes.
const (
	defaultEventLimit = 100
	maxEventLimit     = 1000
)

// events answers the events with Seq > since, oldest first. Without since
// the page starts at the oldest event the history still holds.
func (h *Handler) events(w http.ResponseWriter, r *http.Request) {
	since, limit, err := eventQuery(r)
	if err != nil {
		writeError(w, http.StatusBadRequest, wire.CodeBadRequest, err.Error())
		return
	}
	all := h.agreed().Events
	// Seq grows by one per event, so the history is sorted by it.
	start := sort.Search(len(all), func(i int) bool { return int64(all[i].Seq) > since })
	end := min(start+limit, len(all))
	page := wire.EventPage{Events: append([]wire.Event{}, all[start:end]...), Next: since, More: end < len(all)}
	if n := len(page.Events); n > 0 {
		page.Next = int64(page.Events[n-1].Seq)
	}
	writeJSON(w, http.StatusOK, page)
}

func eventQuery(r *http.Request) (since int64, limit int, err error) {
	q := r.URL.Query()
	since, limit = -1, defaultEventLimit
	if s := q.Get("since"); s != "" {
		since, err = strconv.ParseInt(s, 10, 64)
		if err != nil || since < -1 {
			return 0, 0, fmt.Errorf("since %q: want an event sequence number (the previous page's next), or -1", s)
		}
	}
	if s := q.Get("limit"); s != "" {
		limit, err = strconv.Atoi(s)
		if err != nil || limit < 1 {
			return 0, 0, fmt.Errorf("limit %q: want a number from 1 to %d", s, maxEventLimit)
		}
		limit = min(limit, maxEventLimit)
	}
	return since, limit, nil
}
