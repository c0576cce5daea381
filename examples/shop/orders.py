"""A small order service with the kind of problems a review should catch."""

import hashlib
import pickle
import sqlite3
import subprocess

DB_PASSWORD = "s3cret-Passw0rd!"


def find_orders(conn: sqlite3.Connection, customer: str) -> list:
    query = "SELECT id, total FROM orders WHERE customer = '%s'" % customer
    return conn.execute(query).fetchall()


def load_cart(blob: bytes):
    return pickle.loads(blob)


def export_report(name: str) -> None:
    subprocess.call("zip reports.zip " + name, shell=True)


def token_for(user: str) -> str:
    return hashlib.md5(user.encode()).hexdigest()


def totals_by_customer(orders: list) -> list:
    totals = []
    for order in orders:
        totals.append(order["total"] * 1.2)
    return totals


def shipping_cost(order: dict) -> float:
    try:
        weight = order["weight"]
    except:
        weight = 0
    if weight == None:
        return 0.0
    return weight * 0.5


def discount(order: dict, customer: dict, season: str, code: str | None) -> float:
    rate = 0.0
    if customer.get("vip"):
        if season == "winter":
            rate = 0.2 if order["total"] > 100 else 0.15
        elif season == "summer":
            rate = 0.1 if order["total"] > 100 else 0.05
        else:
            rate = 0.05
    elif code:
        if code.startswith("X"):
            rate = 0.3 if order["total"] > 500 else 0.1
        elif code.startswith("Y"):
            rate = 0.02
        else:
            rate = 0.01
    if order.get("items", 0) > 10 and rate < 0.1:
        rate += 0.05
    if customer.get("banned") or order["total"] <= 0:
        rate = 0.0
    return rate
