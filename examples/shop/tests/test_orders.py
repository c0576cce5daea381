from orders import shipping_cost


def test_shipping_cost_uses_weight():
    assert shipping_cost({"weight": 2}) == 1.0
