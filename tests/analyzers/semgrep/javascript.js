// Fixture for server/manyeyes/agents/analyzers/rules/javascript.yaml (semgrep --test). Deliberately vulnerable.
const express = require("express");
const { exec, execFile } = require("child_process");
const fs = require("fs");
const path = require("path");
const jwt = require("jsonwebtoken");
const axios = require("axios");
const app = express();

app.get("/calc", (req, res) => {
  // ruleid: js-code-injection, js-request-data
  const result = eval(req.query.expr);
  // ok: js-code-injection
  const fixed = eval("1 + 1");
  res.json({ result, fixed });
});

app.get("/ping", (req, res) => {
  // ruleid: js-command-injection, js-request-data
  exec("ping -c 1 " + req.query.host, (err, out) => res.json({ out }));
  // safe look-alike for js-command-injection (no report of it here):
  // ruleid: js-request-data
  execFile("ping", ["-c", "1", req.query.host], (err, out) => res.json({ out }));
  // safe look-alike for js-command-injection (no report of it here):
  // ruleid: js-request-data
  const match = /^[a-z]+$/.exec(req.query.host);
});

app.get("/user", (req, res) => {
  // ruleid: js-sql-injection, js-request-data
  db.query(`SELECT * FROM users WHERE name = '${req.query.name}'`, (err, rows) => res.json(rows));
  // safe look-alike for js-sql-injection (no report of it here):
  // ruleid: js-request-data
  db.query("SELECT * FROM users WHERE name = ?", [req.query.name], (err, rows) => res.json(rows));
});

app.get("/file", (req, res) => {
  // ruleid: js-path-traversal, js-request-data
  fs.readFile(path.join(__dirname, "files", req.query.name), (err, data) => res.json({ data }));
  // safe look-alike for js-path-traversal (no report of it here):
  // ruleid: js-request-data
  fs.readFile(path.join(__dirname, "files", path.basename(req.query.name)), (err, data) => res.json({ data }));
});

app.get("/hello", (req, res) => {
  // ruleid: js-reflected-xss, js-request-data
  res.send("<h1>Hello " + req.query.name + "</h1>");
});

app.get("/hello-safe", (req, res) => {
  // safe look-alike for js-reflected-xss (no report of it here):
  // ruleid: js-request-data
  res.send("<h1>Hello " + escapeHtml(req.query.name) + "</h1>");
});

app.get("/next", (req, res) => {
  // ruleid: js-open-redirect, js-request-data
  res.redirect(req.query.next);
});

app.get("/home", (req, res) => {
  // ok: js-open-redirect
  res.redirect("/home");
});

app.get("/proxy", async (req, res) => {
  // ruleid: js-ssrf, js-request-data
  const answer = await axios.get(req.query.url);
  // ok: js-ssrf
  const status = await axios.get("https://api.example.org/status");
  res.json({ a: answer.data, s: status.data });
});

function showFragment() {
  const panel = document.getElementById("panel");
  // ruleid: js-reflected-xss, js-request-data
  panel.innerHTML = decodeURIComponent(location.hash.slice(1));
  // safe look-alike for js-reflected-xss (no report of it here):
  // ruleid: js-request-data
  panel.textContent = location.hash.slice(1);
}

// ruleid: js-hardcoded-jwt-secret
const token = jwt.sign({ user: 1 }, "s3cr3t-signing-key");
// ok: js-hardcoded-jwt-secret
const good = jwt.sign({ user: 1 }, process.env.JWT_SECRET);
// ruleid: js-jwt-none-algorithm
jwt.verify(token, process.env.JWT_SECRET, { algorithms: ["HS256", "none"] });

const serialize = require("node-serialize");
const libxmljs = require("libxmljs");
app.post("/import", (req, res) => {
  // ruleid: js-request-data
  const raw = req.body.data;
  // ruleid: js-deserialization
  const items = serialize.unserialize(raw);
  // ok: js-deserialization
  const parsed = JSON.parse(raw);
  // ruleid: js-xxe
  const doc = libxmljs.parseXmlString(raw, { noent: true, noblanks: true });
  // ok: js-xxe
  const safe = libxmljs.parseXmlString(raw, { noblanks: true });
  res.json({ items, parsed, doc: doc.root().name(), safe: safe.root().name() });
});

app.get("/status", async (req, res) => {
  const upstream = await fetchStatus();
  // ok: js-reflected-xss
  res.send(upstream.body);
});
