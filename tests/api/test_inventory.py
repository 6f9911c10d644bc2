"""Products and stock levels through the partner API: catalogue within the partner's brands,
absolute and delta updates with the thresholds they cross, validation and isolation."""

from inventory.models import Product, StockLevel
from inventory.signals import stock_level_changed
from tests.factories import ProductFactory, SalesChannelFactory, StockLevelFactory

PRODUCTS, STOCK = "/api/v1/products/", "/api/v1/stock-levels/"


def test_create_and_list_products_in_the_partners_brand(partner_client, channel, foreign_channel):
    # given a product of another brand
    ProductFactory(brand=foreign_channel.brand, sku="RIVAL-1")

    # when the partner creates a product twice and lists
    first = partner_client.post(PRODUCTS, {"sku": "SHOE-1", "name": "Trail shoe", "price": "59.90"}, format="json")
    again = partner_client.post(PRODUCTS, {"sku": "SHOE-1", "name": "Trail shoe", "price": "59.90"}, format="json")
    listed = partner_client.get(PRODUCTS).json()

    # then one product exists in the channel's brand and the other brand's stays hidden
    assert first.status_code == 201 and again.status_code == 200
    assert first.json()["brand"] == channel.brand.slug
    assert [p["sku"] for p in listed["results"]] == ["SHOE-1"]


def test_product_in_a_foreign_channel_is_400(partner_client, foreign_channel):
    # when a product names a channel the partner lacks
    response = partner_client.post(
        PRODUCTS, {"sales_channel": foreign_channel.slug, "sku": "X", "name": "X", "price": "1.00"}, format="json"
    )

    # then it is refused on sales_channel
    assert response.status_code == 400
    assert response.json()["fields"]["sales_channel"] == [
        f"'{foreign_channel.slug}' is not one of your sales channels."
    ]
    assert not Product.objects.exists()


def test_partner_with_two_brands_must_name_the_channel(partner_factory, channel):
    # given a partner selling for two brands
    other = SalesChannelFactory()
    _, client = partner_factory(channel, other)

    # when a product is created without a channel, then with one
    vague = client.post(PRODUCTS, {"sku": "X", "name": "X", "price": "1.00"}, format="json")
    named = client.post(
        PRODUCTS, {"sales_channel": other.slug, "sku": "X", "name": "X", "price": "1.00"}, format="json"
    )

    # then the first asks for the channel and the second lands in that channel's brand
    assert vague.status_code == 400 and "sales_channel" in vague.json()["fields"]
    assert named.status_code == 201 and named.json()["brand"] == other.brand.slug


def test_stock_delta_and_crossed_thresholds(partner_client, channel):
    # given a product with 6 on hand and a low-stock threshold of 5
    product = ProductFactory(brand=channel.brand, sku="SHOE-1")
    StockLevelFactory(product=product, on_hand=6, low_stock_threshold=5)
    signals = []
    stock_level_changed.connect(
        lambda sender, crossed, **kw: signals.append(crossed), weak=False, dispatch_uid="test-stock-api"
    )
    try:
        # when 2 are sold, then 10 more, then the stock is counted at 3
        low = partner_client.post(STOCK, {"sku": "SHOE-1", "delta": -2}, format="json")
        below = partner_client.post(STOCK, {"sku": "SHOE-1", "delta": -10}, format="json")
        back = partner_client.post(STOCK, {"sku": "SHOE-1", "on_hand": 3, "restock_eta": "2025-06-01"}, format="json")
    finally:
        stock_level_changed.disconnect(dispatch_uid="test-stock-api")

    # then each answer carries the level and the thresholds it crossed
    assert low.status_code == 200, low.json()
    assert (low.json()["on_hand"], low.json()["crossed"]) == (4, ["low_stock"])
    assert (below.json()["available"], below.json()["crossed"]) == (-6, ["below_zero"])
    assert (back.json()["on_hand"], back.json()["crossed"]) == (3, ["back_in_stock"])
    assert back.json()["restock_eta"] == "2025-06-01"
    assert signals == [["low_stock"], ["below_zero"], ["back_in_stock"]]


def test_first_stock_post_creates_the_level(partner_client, channel):
    # given a product without a stock level
    ProductFactory(brand=channel.brand, sku="NEW-1")

    # when stock is posted with a reservation
    response = partner_client.post(STOCK, {"sku": "NEW-1", "on_hand": 20, "reserved": 2}, format="json")

    # then the level exists and reports its availability
    assert response.status_code == 200
    assert (response.json()["available"], response.json()["crossed"]) == (18, ["back_in_stock"])
    assert StockLevel.objects.count() == 1


def test_stock_validation(partner_client, channel, foreign_channel):
    # given one own and one foreign product
    ProductFactory(brand=channel.brand, sku="SHOE-1")
    ProductFactory(brand=foreign_channel.brand, sku="RIVAL-1")

    # when stock posts are malformed or name a foreign SKU
    both = partner_client.post(STOCK, {"sku": "SHOE-1", "on_hand": 1, "delta": 1}, format="json")
    neither = partner_client.post(STOCK, {"sku": "SHOE-1"}, format="json")
    negative = partner_client.post(STOCK, {"sku": "SHOE-1", "on_hand": -1}, format="json")
    foreign = partner_client.post(STOCK, {"sku": "RIVAL-1", "delta": 1}, format="json")

    # then each is a 400 on its field and no level changed
    assert both.status_code == neither.status_code == negative.status_code == foreign.status_code == 400
    assert both.json()["fields"]["delta"] == ["Give either on_hand (absolute) or delta, not both."]
    assert neither.json()["fields"]["on_hand"] == ["Give either on_hand (absolute) or delta."]
    assert negative.json()["fields"]["on_hand"] == ["Ensure this value is greater than or equal to 0."]
    assert foreign.json()["fields"]["sku"] == ["No product with SKU 'RIVAL-1' in your catalogue."]
    assert not StockLevel.objects.exists()


def test_stock_levels_list_only_the_partners_brands(partner_client, channel, foreign_channel):
    # given a level of each brand
    mine = StockLevelFactory(product=ProductFactory(brand=channel.brand, sku="SHOE-1"))
    foreign = StockLevelFactory(product=ProductFactory(brand=foreign_channel.brand, sku="RIVAL-1"))

    # when the partner lists and retrieves
    listed = partner_client.get(STOCK).json()

    # then only its own level shows
    assert [level["sku"] for level in listed["results"]] == ["SHOE-1"]
    assert partner_client.get(f"{STOCK}{mine.pk}/").status_code == 200
    assert partner_client.get(f"{STOCK}{foreign.pk}/").status_code == 404
    assert partner_client.get(STOCK, {"sku": "RIVAL-1"}).json()["count"] == 0
