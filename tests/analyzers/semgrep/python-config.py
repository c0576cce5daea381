# Fixture for server/manyeyes/agents/analyzers/rules/python-config.yaml (semgrep --test).
from django.views.decorators.csrf import csrf_exempt
from flask import Flask, make_response
from flask_cors import CORS

app = Flask(__name__)
# ruleid: python-insecure-cookie-setting
app.config["SESSION_COOKIE_SECURE"] = False
# ok: python-insecure-cookie-setting
app.config["SESSION_COOKIE_SECURE"] = True
# ruleid: python-csrf-disabled
app.config["WTF_CSRF_ENABLED"] = False
# ruleid: python-cors-any-origin-with-credentials
CORS(app, origins="*", supports_credentials=True)
# ok: python-cors-any-origin-with-credentials
CORS(app, origins=["https://example.org"], supports_credentials=True)


@app.route("/login")
def login():
    response = make_response("welcome")
    # ruleid: python-insecure-cookie, python-cookie-without-httponly
    response.set_cookie("session", "abc")
    # ruleid: python-insecure-cookie, python-cookie-without-httponly
    response.set_cookie("session", "abc", secure=False)
    # ruleid: python-insecure-cookie
    response.set_cookie("session", "abc", secure=False, httponly=True)
    # ruleid: python-cookie-without-httponly
    response.set_cookie("session", "abc", secure=True)
    # ok: python-insecure-cookie, python-cookie-without-httponly
    response.set_cookie("session", "abc", secure=True, httponly=True, samesite="Lax")
    # ok: python-insecure-cookie, python-cookie-without-httponly
    response.set_cookie("theme", "dark", secure=app.config["SECURE"], httponly=app.config["HTTPONLY"])
    # ok: python-insecure-cookie, python-cookie-without-httponly
    jar.set_cookie(received)
    return response


# ruleid: python-csrf-disabled
@csrf_exempt
def webhook(request):
    return None
