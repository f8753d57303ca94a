"""The editors' and contacts' admin: model admins, imports, job buttons, roles, login security.

The model admins are registered by `tracker.apps.TrackerAdminConfig.ready()`, not on importing this
package: the admin site class lives here too, and Django imports it while it sets up the site.
"""
