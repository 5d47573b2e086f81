from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from accounts.forms import AdminLoginForm
from accounts.models import User

admin.site.register(User, UserAdmin)
# The admin's log-in counts failures like the shop's log-in page and the token API.
admin.site.login_form = AdminLoginForm
# The app list beside every page took a quarter of a 1280 px screen from the change lists;
# the breadcrumbs and the index lead to the other models.
admin.site.enable_nav_sidebar = False
