# Fixture for server/manyeyes/agents/analyzers/rules/python-web.yaml (semgrep --test): every rule has a true
# positive (ruleid) and a safe look-alike (ok). Deliberately vulnerable code: never run it.
import codecs
import configparser
import hashlib
import os
import pickle
import re
import sqlite3
import subprocess

import ldap
import requests
import yaml
from django.http import HttpResponse, HttpResponseRedirect
from fastapi import FastAPI
from flask import Flask, make_response, redirect, render_template, render_template_string, request, session
from lxml import etree
from markupsafe import escape
from werkzeug.utils import secure_filename

app = Flask(__name__)
api = FastAPI()
db = sqlite3.connect("app.db")


@app.route("/user")
def user():
    # ruleid: python-request-data
    name = request.args.get("name")
    cursor = db.cursor()
    # ruleid: python-sql-injection
    cursor.execute("SELECT * FROM users WHERE name = '%s'" % name)
    # ok: python-sql-injection
    cursor.execute("SELECT * FROM users WHERE name = ?", (name,))
    # safe look-alike for python-sql-injection (no report of it here):
    # ruleid: python-request-data
    cursor.execute("SELECT * FROM users WHERE id = %d" % int(request.args["id"]))
    return {"name": name}


@app.route("/ping", methods=["POST"])
def ping():
    # ruleid: python-request-data
    host = request.form["host"]
    # ruleid: python-command-injection
    os.system("ping -c 1 " + host)
    # ruleid: python-command-injection
    subprocess.run(f"nslookup {host}", shell=True)
    # ok: python-command-injection
    subprocess.run(["ping", "-c", "1", "example.org"])
    return "sent"


@app.route("/calc")
def calc():
    # ruleid: python-request-data
    expression = request.args.get("expr", "")
    # ruleid: python-code-injection
    result = eval(expression)
    # ok: python-code-injection
    fixed = eval("1 + 1")
    return escape(str(result + fixed))


@app.route("/greet")
def greet():
    # ruleid: python-request-data
    who = request.args.get("who", "")
    # ruleid: python-template-injection
    page = render_template_string("<p>Hello " + who + "</p>")
    # ok: python-template-injection
    safe = render_template_string("<p>Hello {{ who }}</p>", who=who)
    return escape(page + safe)


@app.route("/file")
def read_file():
    # ruleid: python-request-data
    name = request.args.get("name")
    # ruleid: python-path-traversal
    with open(os.path.join("/srv/files", name)) as handle:
        data = handle.read()
    # ok: python-path-traversal
    with codecs.open(os.path.join("/srv/files", secure_filename(name))) as handle:
        data += handle.read()
    # ruleid: python-path-traversal
    if os.path.exists(os.path.join("/srv/files", name)):
        data += "!"
    # ok: python-path-traversal
    if os.path.exists(os.path.join("/srv/files", os.path.basename(name))):
        data += "."
    return escape(data)


@app.route("/hello/<name>")
# ruleid: python-request-data
def hello(name):
    # ruleid: python-reflected-xss
    return "<h1>Hello " + name + "</h1>"


@app.route("/hello-safe/<name>")
# ruleid: python-request-data
def hello_safe(name):
    # ok: python-reflected-xss
    return "<h1>Hello " + escape(name) + "</h1>"


@app.route("/digest/<name>")
# ruleid: python-request-data
def digest(name):
    # ok: python-reflected-xss
    return "<p>" + hashlib.sha256(name.encode()).hexdigest() + "</p>"


@app.route("/hello-template")
def hello_template():
    # safe look-alike for python-reflected-xss (no report of it here):
    # ruleid: python-request-data
    return render_template("hello.html", name=request.args.get("name"))


@app.route("/echo")
def echo():
    # ruleid: python-reflected-xss, python-request-data
    return make_response(request.args.get("q", ""))


@app.route("/count/<int:count>")
def count(count: int):
    # ok: python-reflected-xss
    return "<p>" + str(count) + "</p>"


@app.route("/next")
def go_next():
    # ruleid: python-request-data
    target = request.args.get("next", "/")
    # ruleid: python-request-data
    if request.args.get("safe"):
        # ok: python-open-redirect
        return redirect("/home")
    # ruleid: python-open-redirect
    return redirect(target)


@app.route("/lookup")
def lookup():
    tree = etree.parse("users.xml")
    # ruleid: python-request-data
    name = request.args.get("name")
    # ruleid: python-xpath-injection
    found = tree.xpath("//user[@name='" + name + "']")
    # ok: python-xpath-injection
    same = tree.xpath("//user[@name=$name]", name=name)
    # ok: python-xpath-injection
    position = name.find("x")
    return {"count": len(found) + len(same) + position}


@app.route("/directory")
def directory():
    # ruleid: python-request-data
    uid = request.args.get("uid")
    connection = ldap.initialize("ldap://localhost")
    # ruleid: python-ldap-injection
    connection.search_s("dc=example,dc=org", ldap.SCOPE_SUBTREE, "(uid=" + uid + ")")
    # ok: python-ldap-injection
    connection.search_s("dc=example,dc=org", ldap.SCOPE_SUBTREE, "(uid=" + ldap.filter.escape_filter_chars(uid) + ")")
    return "done"


@app.route("/xml", methods=["POST"])
def parse_xml():
    # ruleid: python-xxe, python-request-data
    document = etree.fromstring(request.data)
    # safe look-alike for python-xxe (no report of it here):
    # ruleid: python-request-data
    safe = etree.fromstring(request.data, parser=etree.XMLParser(resolve_entities=False))
    hardened = etree.XMLParser(resolve_entities=False, no_network=True)
    # safe look-alike for python-xxe, the parser built first (no report of it here):
    # ruleid: python-request-data
    also_safe = etree.fromstring(request.data, hardened)
    return escape(document.tag + safe.tag + also_safe.tag)


@app.route("/restore", methods=["POST"])
def restore():
    # ruleid: python-deserialization, python-request-data
    state = pickle.loads(request.get_data())
    # safe look-alike for python-deserialization (no report of it here):
    # ruleid: python-request-data
    config = yaml.load(request.get_data(), Loader=yaml.SafeLoader)
    return escape(str(state) + str(config))


@app.route("/fetch")
def fetch():
    # ruleid: python-request-data
    url = request.args.get("url")
    # ruleid: python-ssrf
    body = requests.get(url, timeout=5).text
    # ok: python-ssrf
    fixed = requests.get("https://api.example.org/status", params={"q": url}, timeout=5).text
    return escape(body + fixed)


@app.route("/check")
def check():
    # ruleid: python-request-data
    username, password = request.form["username"], request.form["password"]
    # ruleid: python-regex-injection
    weak = re.search(username, password)
    # ok: python-regex-injection
    same = re.search(re.escape(username), password)
    return {"weak": bool(weak), "same": bool(same)}


@app.route("/remember")
def remember():
    # ruleid: python-trust-boundary, python-request-data
    session["user"] = request.args.get("user")
    # safe look-alike for python-trust-boundary (no report of it here):
    # ruleid: python-request-data
    session["visits"] = int(request.args.get("visits", "0"))
    return "ok"


def report(request):
    # ruleid: python-sql-injection, python-request-data
    rows = db.execute("SELECT * FROM orders WHERE owner = '" + request.GET["owner"] + "'")
    # ruleid: python-reflected-xss, python-request-data
    response = HttpResponse("<p>" + request.GET["owner"] + "</p>")
    # a project's own escaper
    # ruleid: python-request-data
    HttpResponse("<p>" + helpers.utils.escape_for_html(request.GET["owner"]) + "</p>")
    # ruleid: python-reflected-xss, python-request-data
    HttpResponse("<p>" + html.unescape(request.GET["owner"]) + "</p>")
    # the rows of a query: its injection is the finding above, not their echo
    # ok: python-reflected-xss
    HttpResponse(str(rows.fetchall()))
    # ruleid: python-open-redirect, python-request-data
    HttpResponseRedirect(request.GET.get("next"))
    return response, rows


@api.get("/items")
# ruleid: python-request-data
def items(q: str, limit: int = 10):
    # ruleid: python-sql-injection
    db.execute(f"SELECT * FROM items WHERE name LIKE '%{q}%'")
    # ok: python-sql-injection
    db.execute(f"SELECT * FROM items LIMIT {limit}")
    return {"q": q}


@app.route("/batch")
def batch():
    commands = ["echo"]
    # ruleid: python-request-data
    commands.append(request.args.get("name"))
    # request data put into a list by a method taints the list
    # ruleid: python-command-injection
    subprocess.run(" ".join(commands), shell=True)
    settings = configparser.ConfigParser()
    settings.add_section("run")
    # ruleid: python-request-data
    settings.set("run", "target", request.args.get("target"))
    # ruleid: python-command-injection
    os.system(settings.get("run", "target"))
    return "ok"
