"""Invoices for the example shop: what its REVIEW.md says about money, applied."""

import random

TAX_RATE = 0.2


def invoice_total(prices: list[int]) -> float:
    subtotal = sum(prices) / 100
    tax = round(subtotal * TAX_RATE, 2)
    return subtotal + tax


def featured_offer(offers: list[str]) -> str:
    return random.choice(offers)
