package statuspage

import (
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"outlast/internal/api/apitest"
	"outlast/internal/model"
	"outlast/internal/primary"
	"outlast/internal/statuspage/statuspagetest"
	"outlast/internal/wire"
)

// TestLiveUpdateInChromium loads the page in headless Chromium, turns an
// endpoint down, changes the target hostnames' resolution, moves a geo
// name's answer for one client area, completes a pending promotion of a
// primary and has a secondary's NOTIFY go unanswered in the backend, and
// waits for the page to show all five without a reload. It saves a screenshot to $OUTLAST_SCREENSHOT (default: a
// temporary directory) and a phone-width one beside it.
func TestLiveUpdateInChromium(t *testing.T) {
	f := primarySample(t)
	f.Update(func(s *apitest.Settings) { s.Zones = sampleZones() })
	// Behind a token, as the node serves a page that is not public: the
	// live updates must carry it too.
	page := New(f, nil)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer s3cret" {
			http.Error(w, "no token", http.StatusUnauthorized)
			return
		}
		page.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	browser := statuspagetest.Open(t, srv.URL+"/", statuspagetest.WithHeader("Authorization", "Bearer s3cret"))

	if err := browser.WaitState("usc1", "n-azure", "up", 10*time.Second); err != nil {
		t.Fatal(err)
	}
	if err := browser.WaitState("usc1", "", "up", 10*time.Second); err != nil {
		t.Fatal(err)
	}
	if err := browser.WaitTargetState("shop.cdn-a.test.", "stale", 10*time.Second); err != nil {
		t.Fatal(err)
	}
	for _, a := range []struct{ name, area, want string }{
		{"geo.example.test.", "us-east", "192.0.2.13"},
		{"geo.example.test.", "", "192.0.2.12"},
		{"cdn.example.test.", "", "cdn-c (weight 1): CNAME → shop.cdn-c.test. cdn-d (weight 1): CNAME → shop.cdn-d.test."},
	} {
		if err := browser.WaitAnswer(a.name, a.area, a.want, 10*time.Second); err != nil {
			t.Fatal(err)
		}
	}

	if err := browser.WaitPrimary(dbService, "db-gcp epoch 2, promoting db-azure epoch 3", 10*time.Second); err != nil {
		t.Fatal(err)
	}
	const xfrBefore = "serial 7, 192.0.2.53:53 acknowledged, 198.51.100.53:53 rejected (alert), 203.0.113.53:53 unanswered (alert), 203.0.113.54:53 none"
	if err := browser.WaitZone("example.test.", "serial 2026120501, signed 12345 23456", 10*time.Second); err != nil {
		t.Fatal(err)
	}
	if err := browser.WaitZone("xfr.test.", xfrBefore, 10*time.Second); err != nil {
		t.Fatal(err)
	}

	// gcp's region fails: every vantage sees it time out, and the leader decides.
	f.Update(func(s *apitest.Settings) { s.Now = s.Now.Add(3 * time.Second) })
	for _, m := range members {
		for _, e := range []string{"use1", "usw2", "cdn-a", "cdn-b", "geo-use1", "geo-usw2", "cdn-c", "cdn-d"} {
			r := model.Result{Up: e != "use1" && e != "geo-use1", Latency: 11 * time.Millisecond, Reason: model.ReasonOK}
			if !r.Up {
				r = model.Result{Latency: time.Second, Reason: model.ReasonTimeout, Detail: "no response within 1s"}
			}
			f.Observe(m.Name, e, t0.Add(2600*time.Millisecond), r)
		}
		for _, e := range []string{"usc1", "geo-usc1"} {
			f.Observe(m.Name, e, t0.Add(2500*time.Millisecond),
				model.Result{Latency: time.Second, Reason: model.ReasonTimeout, Detail: "no response within 1s"})
		}
	}
	f.Apply(t, verdictCmd(t0.Add(2900*time.Millisecond), "usc1", model.Down, model.Down),
		verdictCmd(t0.Add(2900*time.Millisecond), "geo-usc1", model.Down, model.Down))
	// The us-east clients of the geo name move on to us-west-2, the next
	// location with a healthy endpoint; the other areas keep their answers.
	f.Update(func(s *apitest.Settings) {
		s.Answers = slices.Clone(s.Answers) // the page may be reading the old one
		for i := range s.Answers {
			if s.Answers[i].Name == "geo.example.test." && s.Answers[i].Area == "us-east" {
				s.Answers[i].Addrs = []netip.Addr{netip.MustParseAddr("192.0.2.12")}
			}
		}
	})
	// db-azure's on_promote succeeds: it is the primary, and the name moves.
	f.Apply(t, change(dbService, primary.Command{Kind: primary.Promoted, Epoch: 3, Who: primary.Auto, At: t0.Add(2900 * time.Millisecond)}))
	// xfr.test moves to serial 8: the first secondary stops answering
	// NOTIFY, the second's ACL was fixed and it acknowledges.
	f.Update(func(s *apitest.Settings) {
		s.Zones = sampleZones()
		x := &s.Zones[1]
		x.Serial, x.Transfer.Journal.Newest = 8, 8
		x.Transfer.Notify[0].Result, x.Transfer.Notify[0].Serial = wire.NotifyUnanswered, 8
		x.Transfer.Notify[1].Result, x.Transfer.Notify[1].Serial, x.Transfer.Notify[1].Rcode = wire.NotifyAcknowledged, 8, ""
	})
	// Meanwhile the first CDN's DNS answers again, and the second's fails
	// for longer than max_stale: the target hostnames refresh live too.
	f.Update(func(s *apitest.Settings) {
		s.Resolution = sampleResolution()
		s.Resolution[0].State, s.Resolution[0].A, s.Resolution[0].Error = "unresolved", nil, "i/o timeout"
		s.Resolution[1].State, s.Resolution[1].Error, s.Resolution[1].FailingSince = "fresh", "", time.Time{}
	})

	if err := browser.WaitState("usc1", "n-azure", "down", 10*time.Second); err != nil {
		t.Fatal(err)
	}
	if err := browser.WaitState("usc1", "", "down", 10*time.Second); err != nil {
		t.Fatal(err)
	}
	if err := browser.WaitTargetState("shop.cdn-b.test.", "unresolved", 10*time.Second); err != nil {
		t.Fatal(err)
	}
	if err := browser.WaitTargetState("shop.cdn-a.test.", "fresh", 10*time.Second); err != nil {
		t.Fatal(err)
	}
	if err := browser.WaitAnswer("geo.example.test.", "us-east", "192.0.2.12", 10*time.Second); err != nil {
		t.Fatal(err)
	}
	if err := browser.WaitPrimary(dbService, "db-azure epoch 3", 10*time.Second); err != nil {
		t.Fatal(err)
	}
	const xfrAfter = "serial 8, 192.0.2.53:53 unanswered (alert), 198.51.100.53:53 acknowledged, 203.0.113.53:53 unanswered (alert), 203.0.113.54:53 none"
	if err := browser.WaitZone("xfr.test.", xfrAfter, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	reloaded, seen, err := browser.Reloaded()
	if err != nil {
		t.Fatal(err)
	}
	if reloaded {
		t.Fatalf("the page was reloaded to show the change, want a live update: %s", seen)
	}
	for _, u := range browser.Requested() {
		if !strings.HasPrefix(u, srv.URL+"/") {
			t.Errorf("the page fetched %s; it must fetch nothing but itself", u)
		}
	}

	shot := os.Getenv("OUTLAST_SCREENSHOT")
	if shot == "" {
		shot = filepath.Join(t.TempDir(), "statuspage.png")
	}
	if err := browser.Screenshot(shot, 1280); err != nil {
		t.Fatal(err)
	}
	phone := strings.TrimSuffix(shot, ".png") + "-phone.png"
	if err := browser.Screenshot(phone, 390); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshots: %s, %s", shot, phone)
}
