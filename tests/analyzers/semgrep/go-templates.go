// Fixture for server/manyeyes/agents/analyzers/rules/go-templates.yaml (semgrep --test).
package main

import (
	"net/http"
	"os"
	"text/template"
)

var page = template.Must(template.New("page").Parse("<p>{{.}}</p>"))

func show(w http.ResponseWriter, r *http.Request) {
	// ruleid: go-text-template-html
	page.Execute(w, r.URL.Query().Get("name"))
}

func main() {
	// ok: go-text-template-html
	page.Execute(os.Stdout, "report")
}
