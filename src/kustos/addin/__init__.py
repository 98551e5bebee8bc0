"""The Outlook add-in's packaging, free of Django: the unified app manifest, its app package zip and icons
(the web views in ``kustos.web.views.outlook`` serve them)."""
