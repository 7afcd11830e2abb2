package report

import (
	"encoding/json"
	"fmt"
	"io"

	"outlast/internal/lab"
)

// JSON writes the report with the result model's own JSON field names,
// indented for people who read it before piping it to jq.
func JSON(w io.Writer, r lab.Report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	// Titles hold "<" and "&" in prose; keep them readable in a terminal.
	enc.SetEscapeHTML(false)
	if err := enc.Encode(r); err != nil {
		return fmt.Errorf("report: json: %w", err)
	}
	return nil
}
