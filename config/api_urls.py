"""The partner API's routes (``/api/v1/``): one router over every app's viewsets."""

from rest_framework.routers import DefaultRouter

from inventory.api import ProductViewSet, StockLevelViewSet
from notifications.api import NotificationViewSet
from orders.api import OrderViewSet, ShipmentViewSet
from preferences.api import CustomerViewSet
from returns.api import ReturnViewSet

router = DefaultRouter()
router.register("customers", CustomerViewSet, basename="customer")
router.register("orders", OrderViewSet, basename="order")
router.register("shipments", ShipmentViewSet, basename="shipment")
router.register("returns", ReturnViewSet, basename="return")
router.register("products", ProductViewSet, basename="product")
router.register("stock-levels", StockLevelViewSet, basename="stock-level")
router.register("notifications", NotificationViewSet, basename="notification")
urlpatterns = router.urls
