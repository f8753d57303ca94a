from django.contrib import admin
from django.urls import include, path

admin.site.site_header = "Recommendation tracker: data entry"
admin.site.site_title = "Recommendation tracker"
admin.site.index_title = "Data entry"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", include("tracker.urls")),
]
