<?php
// Fixture for server/manyeyes/agents/analyzers/rules/php.yaml (semgrep --test). Deliberately vulnerable.

function ping() {
    // ruleid: php-request-data
    $host = $_GET['host'];
    // ruleid: php-command-injection
    system("ping -c 1 " . $host);
    // ok: php-command-injection
    system("ping -c 1 " . escapeshellarg($host));
    // ok: php-command-injection
    system("uptime");
}

function calc() {
    // ruleid: php-code-injection, php-request-data
    eval($_POST['expr']);
    // ok: php-code-injection
    eval("return 1 + 1;");
}

function find_user($db) {
    // ruleid: php-request-data
    $id = $_GET['id'];
    // ruleid: php-sql-injection
    $db->query("SELECT * FROM users WHERE id = '" . $id . "'");
    // ok: php-sql-injection
    $db->query("SELECT * FROM users WHERE id = " . intval($id));
    // ok: php-sql-injection
    $db->query("SELECT * FROM users");
}

function download() {
    // ruleid: php-request-data
    $name = $_GET['file'];
    // ruleid: php-path-traversal
    readfile("/var/files/" . $name);
    // ok: php-path-traversal
    readfile("/var/files/" . basename($name));
    // ruleid: php-request-data
    $body = json_decode(file_get_contents("php://input"), true);
}

function greet() {
    // ruleid: php-request-data
    $name = $_GET['name'];
    // ruleid: php-xss
    echo "Hello " . $name;
    // ok: php-xss
    echo "Hello " . htmlspecialchars($name, ENT_QUOTES);
}

function go() {
    // ruleid: php-open-redirect, php-request-data
    header("Location: " . $_GET['next']);
    // ok: php-open-redirect
    header("Content-Type: text/html");
}

function restore() {
    // ruleid: php-deserialization, php-request-data
    $cart = unserialize($_COOKIE['cart']);
    // safe look-alike for php-deserialization (no report of it here):
    // ruleid: php-request-data
    $cart = json_decode($_COOKIE['cart'], true);
}
