"""An API handler the path-scoped instruction in .manyeyes/instructions/api.md applies to."""

from billing import invoice_total


def get_invoice(request, store):
    prices = store.prices_for(request.args["order"])
    return {"total": invoice_total(prices)}
