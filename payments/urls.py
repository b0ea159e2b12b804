from django.urls import path

from payments import views

urlpatterns = [
    path("admin/sessions/<int:pk>/mark-paid/", views.mark_paid, name="admin_mark_paid"),
    path("admin/sessions/<int:pk>/mark-refunded/", views.mark_refunded, name="admin_mark_refunded"),
]
