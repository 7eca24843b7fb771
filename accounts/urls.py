from django.urls import path
from django.views.i18n import JavaScriptCatalog

from . import addressbook_views, passkey_views, views

# django-otp-webauthn's script asks for its words (gettext) here: a static-looking script.
passkey_catalog = JavaScriptCatalog.as_view(packages=["django_otp_webauthn"])

app_name = "accounts"

urlpatterns = [
    path("accounts/signup/", views.signup, name="signup"),
    path("accounts/signup/sent/", views.signup_sent, name="signup_sent"),
    path("accounts/verify-email/<str:token>/", views.verify_email, name="verify_email"),
    path(
        "accounts/security/verify-email/resend/",
        views.resend_verification,
        name="resend_verification",
    ),
    path("accounts/login/", views.login_view, name="login"),
    path("accounts/login/code/", views.login_code, name="login_code"),
    path("accounts/logout/", views.logout_view, name="logout"),
    path("accounts/password/reset/", views.password_reset, name="password_reset"),
    path("accounts/password/reset/sent/", views.password_reset_sent, name="password_reset_sent"),
    path(
        "accounts/password/reset/<uidb64>/<token>/",
        views.password_reset_confirm,
        name="password_reset_confirm",
    ),
    path("accounts/password/reset/done/", views.password_reset_done, name="password_reset_done"),
    path("accounts/security/", views.security, name="security"),
    path("accounts/security/password/", views.change_password, name="change_password"),
    path("accounts/security/activity/", views.account_activity, name="activity"),
    path(
        "accounts/security/sessions/<uuid:code>/sign-out/",
        views.sign_out_session,
        name="sign_out_session",
    ),
    path(
        "accounts/security/sessions/sign-out-others/",
        views.sign_out_other_sessions,
        name="sign_out_other_sessions",
    ),
    path(
        "accounts/security/anti-phishing/",
        views.set_anti_phishing_phrase,
        name="set_anti_phishing_phrase",
    ),
    path("accounts/security/2fa/setup/", views.setup_2fa, name="setup_2fa"),
    path("accounts/security/2fa/disable/", views.disable_2fa, name="disable_2fa"),
    path("accounts/security/backup-codes/", views.backup_codes, name="backup_codes"),
    path(
        "accounts/security/backup-codes/regenerate/",
        views.regenerate_backup_codes,
        name="regenerate_backup_codes",
    ),
    path("accounts/security/addresses/", addressbook_views.addresses, name="addresses"),
    path("accounts/security/addresses/add/", addressbook_views.add_address, name="add_address"),
    path(
        "accounts/security/addresses/switch/",
        addressbook_views.switch_address_management,
        name="switch_address_management",
    ),
    path(
        "accounts/security/addresses/<uuid:code>/remove/",
        addressbook_views.remove_address,
        name="remove_address",
    ),
    path(
        "accounts/passkeys/register/begin/",
        passkey_views.BeginRegistration.as_view(),
        name="passkey_register_begin",
    ),
    path(
        "accounts/passkeys/register/complete/",
        passkey_views.CompleteRegistration.as_view(),
        name="passkey_register_complete",
    ),
    path(
        "accounts/passkeys/authenticate/begin/",
        passkey_views.BeginAuthentication.as_view(),
        name="passkey_auth_begin",
    ),
    path(
        "accounts/passkeys/authenticate/complete/",
        passkey_views.CompleteAuthentication.as_view(),
        name="passkey_auth_complete",
    ),
    path("accounts/passkeys/jsi18n/", passkey_catalog, name="passkey_jsi18n"),
    path(
        "accounts/security/passkeys/add/",
        passkey_views.start_adding,
        name="start_adding_passkey",
    ),
    path(
        "accounts/security/passkeys/<str:code>/rename/",
        passkey_views.rename_passkey,
        name="rename_passkey",
    ),
    path(
        "accounts/security/passkeys/<str:code>/remove/",
        passkey_views.remove_passkey,
        name="remove_passkey",
    ),
    path("assets/", views.assets, name="assets"),
]
