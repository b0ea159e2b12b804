from django.urls import path

from availability import views

urlpatterns = [
    path("mentor/availability/", views.editor, name="availability_editor"),
    path("mentor/availability/weekly/", views.add_weekly, name="availability_add_weekly"),
    path(
        "mentor/availability/weekly/<id:pk>/delete/",
        views.delete_weekly,
        name="availability_delete_weekly",
    ),
    path(
        "mentor/availability/exceptions/",
        views.add_exception,
        name="availability_add_exception",
    ),
    path(
        "mentor/availability/exceptions/<id:pk>/delete/",
        views.delete_exception,
        name="availability_delete_exception",
    ),
]
