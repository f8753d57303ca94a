from django.urls import path

from tracker import views

urlpatterns = [
    path("", views.home, name="home"),
    path("reports/<slug:slug>/", views.report_detail, name="report_detail"),
    path(
        "reports/<slug:slug>/<int:number>/",
        views.recommendation_detail,
        name="recommendation_detail",
    ),
    path("owners/<slug:slug>/", views.owner_detail, name="owner_detail"),
]
