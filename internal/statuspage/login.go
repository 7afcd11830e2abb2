package statuspage

import (
	"html/template"
	"log/slog"
	"net/http"

	"outlast/internal/api"
)

// loginData is the login template's input.
type loginData struct {
	api.LoginForm
	Node     string
	Field    string
	Lifetime string
	Style    template.CSS
}

// LoginPage returns the login form of the node b describes, in the page's
// own look, for api.Handler.ProtectPage. It works without JavaScript (the
// form posts, the node redirects) and shows nothing of the node but its
// name, which /healthz tells everyone anyway.
func LoginPage(b api.Backend, logger *slog.Logger) api.LoginPage {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	log := logger.With("component", "statuspage")
	return func(w http.ResponseWriter, _ *http.Request, form api.LoginForm) {
		data := loginData{LoginForm: form, Node: b.Info().Name, Field: api.TokenField,
			Lifetime: span(api.SessionLifetime), Style: template.CSS(style)}
		write(w, log, "login", form.Status, loginPolicy, data)
	}
}
