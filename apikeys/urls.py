from . import views

app_name = "apikeys"

# The key pages (views.KEY_PAGES) of the signed-in trader's own keys.
urlpatterns = views.key_page_urls(views.OWN_KEYS_MOUNT)
