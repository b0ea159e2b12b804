from django.contrib.admin.apps import AdminConfig


class DataRepairAdminConfig(AdminConfig):
    """django.contrib.admin, with our site (config/admin.py) as `admin.site`."""

    default_site = "config.admin.DataRepairSite"
