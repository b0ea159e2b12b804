from django.urls import path

from bookings import admin_views, booking_views, reschedule_views, views

urlpatterns = [
    path("dashboard/", views.dashboard, name="dashboard"),
    path("mentors/<id:pk>/book/", booking_views.book_session, name="book_session"),
    path("sessions/<id:pk>/", views.session_detail, name="session_detail"),
    path("sessions/<id:pk>/complete/", views.mentor_complete, name="session_complete"),
    path("sessions/<id:pk>/cancel/", views.cancel, name="session_cancel"),
    path(
        "sessions/<id:pk>/reschedule/",
        reschedule_views.reschedule,
        name="session_reschedule",
    ),
    path("admin/sessions/", admin_views.session_list, name="admin_sessions"),
    path("admin/sessions/<id:pk>/", admin_views.session_detail, name="admin_session_detail"),
    path("admin/sessions/<id:pk>/set-status/", admin_views.set_status, name="admin_set_status"),
    path("admin/sessions/<id:pk>/create-link/", admin_views.create_link, name="admin_create_link"),
    path("admin/sessions/<id:pk>/change-link/", admin_views.change_link, name="admin_change_link"),
    path("admin/sessions/<id:pk>/mark-paid/", admin_views.mark_paid, name="admin_mark_paid"),
    path(
        "admin/sessions/<id:pk>/mark-refunded/",
        admin_views.mark_refunded,
        name="admin_mark_refunded",
    ),
]
