from django.urls import path

from mentors import admin_views, views

urlpatterns = [
    path("mentors/", views.directory, name="mentor_directory"),
    # <pk> is the mentor's user id, like MentoringSession.mentor and /mentors/<pk>/book/.
    path("mentors/<id:pk>/", views.profile, name="mentor_profile"),
    path("mentor/apply/", views.apply, name="mentor_apply"),
    path("mentor/profile/", views.edit_profile, name="mentor_profile_edit"),
    path("sessions/<id:pk>/feedback/", views.leave_feedback, name="session_feedback"),
    path("admin/mentors/", admin_views.application_list, name="admin_mentors"),
    path("admin/mentors/<id:pk>/approve/", admin_views.approve, name="admin_mentor_approve"),
    path("admin/mentors/<id:pk>/reject/", admin_views.reject, name="admin_mentor_reject"),
]
