from django.urls import include, path

from tracker.ops import health
from tracker.public import badges, feeds, sources, subscription_views, views
from tracker.public import calendar as calendar_feed

urlpatterns = [
    # For load balancers: database, cache and broker reachability (tracker/ops/health.py).
    path("healthz", health.healthz, name="healthz"),
    path("", views.home, name="home"),
    path("reports/", views.report_list, name="report_list"),
    path("reports/<slug:slug>/", views.report_detail, name="report_detail"),
    path(
        "reports/<slug:slug>/<int:number>/",
        views.recommendation_detail,
        name="recommendation_detail",
    ),
    path("owners/", views.owner_list, name="owner_list"),
    path("owners/<slug:slug>/", views.owner_detail, name="owner_detail"),
    path("recommendations/", views.recommendation_list, name="recommendation_list"),
    path("changes/", views.changes, name="changes"),
    path("compare/", views.compare_days, name="compare"),
    path("data/", views.data, name="data"),
    path("methodology/", sources.methodology, name="methodology"),
    path("sources/", sources.sources_page, name="sources"),
    path("search/", views.search, name="search"),
    # Open data: feeds, calendar, badges and the read-only JSON API.
    path("updates.atom", feeds.UpdatesFeed(), name="updates_feed"),
    path("changes.atom", feeds.ChangesFeed(), name="changes_feed"),
    path("deadlines.ics", calendar_feed.deadlines_calendar, name="deadlines_calendar"),
    path("reports/<slug:slug>/updates.atom", feeds.ReportUpdatesFeed(), name="report_feed"),
    path(
        "reports/<slug:slug>/deadlines.ics",
        calendar_feed.report_deadlines_calendar,
        name="report_deadlines_calendar",
    ),
    path("reports/<slug:slug>/badge.svg", badges.report_badge, name="report_badge"),
    path(
        "reports/<slug:slug>/<int:number>/updates.atom",
        feeds.RecommendationUpdatesFeed(),
        name="recommendation_feed",
    ),
    path(
        "reports/<slug:slug>/<int:number>/badge.svg",
        badges.recommendation_badge,
        name="recommendation_badge",
    ),
    path("api/", include("tracker.api.urls")),
    # Subscriptions by e-mail, and the weekly digest's opt-out.
    path(
        "reports/<slug:slug>/<int:number>/subscribe/",
        subscription_views.subscribe_recommendation,
        name="subscribe_recommendation",
    ),
    path(
        "reports/<slug:slug>/subscribe/",
        subscription_views.subscribe_report,
        name="subscribe_report",
    ),
    path(
        "owners/<slug:slug>/subscribe/", subscription_views.subscribe_owner, name="subscribe_owner"
    ),
    path(
        "subscriptions/confirm/<str:token>/",
        subscription_views.subscription_confirm,
        name="subscription_confirm",
    ),
    path(
        "subscriptions/unsubscribe/<str:token>/",
        subscription_views.subscription_unsubscribe,
        name="subscription_unsubscribe",
    ),
    path("digest/opt-out/<str:token>/", subscription_views.digest_opt_out, name="digest_opt_out"),
]
