// Fixture for server/manyeyes/agents/analyzers/rules/go.yaml (semgrep --test). Deliberately vulnerable.
package main

import (
	"database/sql"
	"fmt"
	"html/template"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
)

var db *sql.DB

func ping(w http.ResponseWriter, r *http.Request) {
	// ruleid: go-request-data
	host := r.URL.Query().Get("host")
	// ruleid: go-command-injection
	out, _ := exec.Command("sh", "-c", "ping -c 1 "+host).Output()
	// ok: go-command-injection
	fixed, _ := exec.Command("uptime").Output()
	_ = out
	w.Write(fixed)
}

func user(w http.ResponseWriter, r *http.Request) {
	// ruleid: go-request-data
	name := r.FormValue("name")
	// ruleid: go-sql-injection
	rows, _ := db.Query("SELECT * FROM users WHERE name = '" + name + "'")
	// ok: go-sql-injection
	same, _ := db.Query("SELECT * FROM users WHERE name = $1", name)
	// ruleid: go-request-data
	id, _ := strconv.Atoi(r.FormValue("id"))
	// ok: go-sql-injection
	byID, _ := db.Query(fmt.Sprintf("SELECT * FROM users WHERE id = %d", id))
	defer rows.Close()
	defer same.Close()
	defer byID.Close()
}

func file(w http.ResponseWriter, r *http.Request) {
	// ruleid: go-request-data
	name := r.URL.Query().Get("name")
	// ruleid: go-path-traversal
	data, _ := os.ReadFile(filepath.Join("/srv/files", name))
	// ok: go-path-traversal
	safe, _ := os.ReadFile(filepath.Join("/srv/files", filepath.Base(name)))
	w.Header().Set("Content-Type", "application/octet-stream")
	_ = append(data, safe...)
}

func hello(w http.ResponseWriter, r *http.Request) {
	// ruleid: go-request-data
	name := r.URL.Query().Get("name")
	// ruleid: go-reflected-xss
	fmt.Fprintf(w, "<h1>Hello %s</h1>", name)
	// ok: go-reflected-xss
	fmt.Fprintf(w, "<h1>Hello %s</h1>", template.HTMLEscapeString(name))
	// ruleid: go-reflected-xss
	page := template.HTML("<b>" + name + "</b>")
	_ = page
}

func next(w http.ResponseWriter, r *http.Request) {
	// ruleid: go-open-redirect, go-request-data
	http.Redirect(w, r, r.URL.Query().Get("next"), http.StatusFound)
	// ok: go-open-redirect
	http.Redirect(w, r, "/home", http.StatusFound)
}

func proxy(w http.ResponseWriter, r *http.Request) {
	// ruleid: go-ssrf, go-request-data
	answer, _ := http.Get(r.URL.Query().Get("url"))
	// ok: go-ssrf
	status, _ := http.Get("https://api.example.org/status")
	defer answer.Body.Close()
	defer status.Body.Close()
}
