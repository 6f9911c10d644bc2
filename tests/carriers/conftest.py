"""Fixtures for carrier tracking tests: a fake carrier API on 127.0.0.1 and shipments to track."""

import pytest

from intake.models import CarrierAccount
from orders.models import Shipment
from tests.factories import CustomerFactory, OrderFactory, SalesChannelFactory
from tests.fakes.carrier import FakeCarrier


@pytest.fixture
def fake_carrier():
    fake = FakeCarrier().start()
    yield fake
    fake.stop()


@pytest.fixture
def account_for(fake_carrier):
    def make(carrier="dhl", adapter="dhl", **fields):
        defaults = dict(
            base_url=fake_carrier.base_url,
            api_key="k",
            timeout_seconds=0.5,
            max_retries=2,
            backoff_seconds=0.01,
            failure_threshold=2,
            cooldown_seconds=60,
        )
        return CarrierAccount.objects.create(carrier=carrier, adapter=adapter, **{**defaults, **fields})

    return make


@pytest.fixture
def shipment_of(db):
    def make(*, carrier="dhl", number="00340434292135100186", status=Shipment.Status.SHIPPED, customer=None, **kw):
        from orders.services import shipment_create

        channel = SalesChannelFactory()
        customer = customer or CustomerFactory(brand=channel.brand)
        order = OrderFactory(sales_channel=channel, customer=customer)
        shipment, _ = shipment_create(order=order, carrier=carrier, tracking_number=number, status=status, **kw)
        return shipment

    return make
