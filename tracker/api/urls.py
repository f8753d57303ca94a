from django.urls import path
from drf_spectacular.views import SpectacularAPIView

from tracker.api import views

app_name = "api"

LIST = {"get": "list"}
DETAIL = {"get": "retrieve"}

urlpatterns = [
    path("", views.ApiRoot.as_view(), name="root"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("reports/", views.ReportViewSet.as_view(LIST), name="report-list"),
    path("reports/<slug:slug>/", views.ReportViewSet.as_view(DETAIL), name="report-detail"),
    path("recommendations/", views.RecommendationViewSet.as_view(LIST), name="recommendation-list"),
    path(
        "recommendations/<slug:slug>/<int:number>/",
        views.RecommendationViewSet.as_view(DETAIL),
        name="recommendation-detail",
    ),
    path("owners/", views.OwnerViewSet.as_view(LIST), name="owner-list"),
    path("owners/<slug:slug>/", views.OwnerViewSet.as_view(DETAIL), name="owner-detail"),
    path("deadlines/", views.DeadlineViewSet.as_view(LIST), name="deadline-list"),
    path("deadlines/<int:pk>/", views.DeadlineViewSet.as_view(DETAIL), name="deadline-detail"),
    path("updates/", views.StatusUpdateViewSet.as_view(LIST), name="update-list"),
    path("updates/<int:pk>/", views.StatusUpdateViewSet.as_view(DETAIL), name="update-detail"),
]
