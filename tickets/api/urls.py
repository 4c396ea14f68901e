from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter()
router.register("tickets", views.TicketViewSet, basename="ticket")
router.register("severities", views.SeverityViewSet, basename="severity")
router.register("queues", views.QueueViewSet, basename="queue")

urlpatterns = router.urls
