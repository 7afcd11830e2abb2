package statuspage

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"html/template"
	"log/slog"
	"net/http"
	"strings"

	"outlast/internal/api"
)

// The routes New serves. Mount the handler at "/" (it answers 404 for any
// other path) or register both paths with it.
const (
	// PagePath is the whole page.
	PagePath = "/"
	// FragmentPath is the page's live region alone (an HTML fragment), which
	// the page's script fetches every two seconds and swaps in.
	FragmentPath = "/status/fragment"
)

//go:embed page.html.tmpl login.html.tmpl style.css live.js
var assets embed.FS

var (
	pageTemplate = template.Must(template.New("page.html.tmpl").
			Funcs(template.FuncMap{"join": strings.Join}).ParseFS(assets, "page.html.tmpl", "login.html.tmpl"))
	style  = mustRead("style.css")
	script = mustRead("live.js")
	// contentSecurityPolicy lets the browser load nothing but this page, its
	// own inline style and script (pinned by hash) and the fragment, and
	// post forms (the logout) to this node only.
	contentSecurityPolicy = "default-src 'none'; connect-src 'self'; img-src data:; " +
		"style-src '" + hash(style) + "'; script-src '" + hash(script) + "'; " +
		"base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
	// loginPolicy is the login form's: its style, no script at all.
	loginPolicy = "default-src 'none'; style-src '" + hash(style) + "'; " +
		"base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)

func mustRead(name string) string {
	b, err := assets.ReadFile(name)
	if err != nil {
		panic("statuspage: embedded " + name + ": " + err.Error())
	}
	return string(b)
}

func hash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return "sha256-" + base64.StdEncoding.EncodeToString(sum[:])
}

type handler struct {
	backend api.Backend
	log     *slog.Logger
}

// New returns the status page of the node b describes, serving PagePath and
// FragmentPath for GET and HEAD. It applies no authentication: the caller
// puts that in front of it.
func New(b api.Backend, logger *slog.Logger) http.Handler {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	h := &handler{backend: b, log: logger.With("component", "statuspage")}
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+PagePath+"{$}", h.render("page"))
	mux.HandleFunc("GET "+FragmentPath, h.render("live"))
	return mux
}

// pageData is the template's input: the view plus the inline assets.
type pageData struct {
	view
	Style  template.CSS
	Script template.JS
	// Fragment is the live region's URL relative to the page, so the page
	// still works when a proxy serves it under a prefix.
	Fragment string
	// Session is the browser session the page is shown to, for its logout
	// form; nil for a bearer token or a public page.
	Session *api.Session
}

func (h *handler) render(name string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		data := pageData{view: build(take(r.Context(), h.backend)),
			Style: template.CSS(style), Script: template.JS(script), Fragment: strings.TrimPrefix(FragmentPath, "/")}
		if s, ok := api.SessionOf(r); ok {
			data.Session = &s
		}
		write(w, h.log, name, http.StatusOK, contentSecurityPolicy, data)
	}
}

// write renders the template name with data and sends it with status and
// the page's security headers, or a 500 if rendering fails.
func write(w http.ResponseWriter, log *slog.Logger, name string, status int, csp string, data any) {
	var buf bytes.Buffer
	if err := pageTemplate.ExecuteTemplate(&buf, name, data); err != nil {
		log.Error("rendering the status page", "template", name, "err", err)
		http.Error(w, "statuspage: rendering failed", http.StatusInternalServerError)
		return
	}
	hdr := w.Header()
	hdr.Set("Content-Type", "text/html; charset=utf-8")
	hdr.Set("Cache-Control", "no-store")
	hdr.Set("X-Content-Type-Options", "nosniff")
	hdr.Set("Referrer-Policy", "no-referrer")
	hdr.Set("Content-Security-Policy", csp)
	w.WriteHeader(status)
	if _, err := w.Write(buf.Bytes()); err != nil {
		log.Debug("writing the status page", "err", err)
	}
}
